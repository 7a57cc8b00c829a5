// Who the page is signed in as, if anyone: a JWT from the page's ?token= or the sign-in box,
// kept in localStorage. Without one the page is a visitor's. The claims are read here only to
// show who you are and whether to offer the admin's controls; the server checks the token.

const STORAGE_KEY = "ssot-inventory.token";

export interface Session {
  token: string;
  /** The token's sub claim, as the server's user ids are written ("1"). */
  userId: string;
  /** The role claim says admin: the rules' isAdmin (auth.adminRole's default). */
  isAdmin: boolean;
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

/** The session of a JWT, or why it cannot be one (not a JWT, no sub, expired). */
export function readSession(token: string): Session | { error: string } {
  const parts = token.trim().split(".");
  const payload = parts[1];
  let claims: unknown = null;
  if (parts.length === 3 && payload !== undefined) {
    try {
      claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    } catch {
      claims = null;
    }
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    return { error: "this is not a JWT (three base64url parts)" };
  }
  const { sub, exp, role } = claims as Record<string, unknown>;
  if (typeof sub !== "string" && typeof sub !== "number") return { error: "the token has no sub claim" };
  if (typeof exp === "number" && exp * 1000 <= Date.now()) return { error: "the token has expired: mint a new one" };
  return { token: token.trim(), userId: String(sub), isAdmin: role === "admin" };
}
