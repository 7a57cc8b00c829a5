// The inventory page: a header (connection state, who you are, signing in and out) over the
// catalogue or one product's page. Visitors browse without a token; each session, a visitor's
// included, gets an SDK client and a query cache of its own, so signing in or out starts afresh
// (and closes the old session's WebSocket).
import { QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { SsotProvider, useConnectionState } from "../../generated/react/index.js";
import { createClient } from "../../generated/sdk/index.js";
import { Catalogue } from "./Catalogue";
import { ProductPage } from "./ProductPage";
import { href, useRoute } from "./route";
import { initialToken, readSession, storeToken, type Session } from "./session";

export function App() {
  const [token, setToken] = useState<string | null>(initialToken);
  const read = token === null ? null : readSession(token);
  const session = read === null || "error" in read ? null : read;
  const signIn = (next: string | null) => {
    storeToken(next);
    setToken(next);
  };
  return (
    <Shop
      key={session?.token ?? "visitor"}
      session={session}
      tokenError={read !== null && "error" in read ? read.error : null}
      onSignIn={signIn}
      onSignOut={() => signIn(null)}
    />
  );
}

interface ShopProps {
  session: Session | null;
  /** Why the token given could not be used; the page then stays a visitor's. */
  tokenError: string | null;
  onSignIn: (token: string) => void;
  onSignOut: () => void;
}

function Shop({ session, tokenError, onSignIn, onSignOut }: ShopProps) {
  // baseUrl "": the API and the WebSocket (websockets.path) of the page's own origin.
  const [{ client, queryClient }] = useState(() => ({
    client: createClient({ baseUrl: "", token: session?.token }),
    queryClient: new QueryClient({ defaultOptions: { queries: { retry: 1 } } }),
  }));
  useEffect(
    () => () => {
      client.$realtime?.close();
      queryClient.clear();
    },
    [client, queryClient],
  );
  const [productId, go] = useRoute();
  return (
    <SsotProvider client={client} queryClient={queryClient}>
      <div className="shop">
        <header>
          <h1>
            <a
              href={href(null)}
              onClick={(e) => {
                e.preventDefault();
                go(null);
              }}
            >
              ssot inventory
            </a>
          </h1>
          <ConnectionBadge />
          <Account session={session} tokenError={tokenError} onSignIn={onSignIn} onSignOut={onSignOut} />
        </header>
        <main>
          {productId === null ? (
            <Catalogue onOpen={go} />
          ) : (
            <ProductPage key={productId} productId={productId} isAdmin={session?.isAdmin ?? false} onBack={() => go(null)} />
          )}
        </main>
      </div>
    </SsotProvider>
  );
}

/** The realtime connection's state: open, connecting, reconnecting, … */
function ConnectionBadge() {
  const state = useConnectionState();
  return (
    <span className={`badge ${state}`} data-testid="connection" title="The WebSocket to ssot serve">
      {state}
    </span>
  );
}

/** Who you are, and the sign-in box (a token, e.g. an admin's from `ssot token --role admin`). */
function Account({ session, tokenError, onSignIn, onSignOut }: ShopProps) {
  const [open, setOpen] = useState(tokenError !== null);
  const [text, setText] = useState("");
  if (session !== null) {
    return (
      <div className="account">
        signed in as <strong data-testid="me">{`user ${session.userId}${session.isAdmin ? " (admin)" : ""}`}</strong>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    );
  }
  return (
    <div className="account">
      <span data-testid="me">visitor</span>
      {!open && (
        <button type="button" onClick={() => setOpen(true)}>
          Sign in
        </button>
      )}
      {open && (
        <form
          className="sign-in"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim() !== "") onSignIn(text.trim());
          }}
        >
          <label htmlFor="token">Token</label>
          <textarea id="token" rows={3} value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit">Sign in</button>
          {tokenError !== null && <p role="alert">{tokenError}</p>}
          <p>
            An admin's: <code>ssot token --sub 1 --role admin --config examples/inventory/config.lua</code> (README.md), or
            open this page with <code>?token=…</code>.
          </p>
        </form>
      )}
    </div>
  );
}
