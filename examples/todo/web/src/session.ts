// Who the page is signed in as: a JWT from the page's ?token= or the sign-in box, kept in
// localStorage. The token's claims are read here only to show who you are; the server checks it.

const STORAGE_KEY = "ssot-todo.token";

export interface Session {
  token: string;
  /** The token's sub claim: the ownerId the server gives this user's tasks ("alice"). */
  userId: string;
  role: string | null;
  /** When the token expires (ms since 1970), if it says. */
  expiresAt: number | null;
}

/** The token of ?token= (which then replaces the stored one), else the stored one. */
export function initialToken(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get("token");
  if (fromUrl !== null && fromUrl !== "") {
    localStorage.setItem(STORAGE_KEY, fromUrl);
    return fromUrl;
  }
  return localStorage.getItem(STORAGE_KEY);
}

/** Keeps token (or forgets it with null) and drops ?token= from the address, which now differs. */
export function storeToken(token: string | null): void {
  if (token === null) localStorage.removeItem(STORAGE_KEY);
  else localStorage.setItem(STORAGE_KEY, token);
  const url = new URL(window.location.href);
  if (url.searchParams.has("token")) {
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url);
  }
}

function claims(token: string): Record<string, unknown> | null {
  const payload = token.split(".")[1];
  if (payload === undefined) return null;
  try {
    const text = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The session of a JWT, or a reason it cannot be one. */
export function readSession(token: string): Session | { error: string } {
  const c = claims(token.trim());
  if (c === null || token.trim().split(".").length !== 3) return { error: "this is not a JWT (three base64url parts)" };
  const sub = c["sub"];
  if (typeof sub !== "string" && typeof sub !== "number") return { error: "the token has no sub claim" };
  const exp = c["exp"];
  const expiresAt = typeof exp === "number" ? exp * 1000 : null;
  if (expiresAt !== null && expiresAt <= Date.now()) return { error: "the token has expired: mint a new one" };
  const role = c["role"];
  return { token: token.trim(), userId: String(sub), role: typeof role === "string" ? role : null, expiresAt };
}
