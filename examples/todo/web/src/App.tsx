// The todo page: the sign-in box until there is a token, then that user's tasks. Each session
// gets an SDK client and a query cache of its own, so signing in as someone else starts afresh
// (and closes the old user's WebSocket): no task of the previous user stays on screen.
import { QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { SsotProvider } from "../../generated/react/index.js";
import { createClient } from "../../generated/sdk/index.js";
import { initialToken, readSession, storeToken, type Session } from "./session";
import { Tasks } from "./Tasks";

export function App() {
  const [token, setToken] = useState<string | null>(initialToken);
  const session = token === null ? null : readSession(token);
  const signIn = (next: string | null) => {
    storeToken(next);
    setToken(next);
  };
  if (session === null || "error" in session) {
    return <SignIn error={session === null ? null : session.error} onSignIn={signIn} />;
  }
  return <SignedIn key={session.token} session={session} onSignOut={() => signIn(null)} />;
}

function SignedIn({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  // baseUrl "": the API and the WebSocket (websockets.path) of the page's own origin.
  const [{ client, queryClient }] = useState(() => ({
    client: createClient({ baseUrl: "", token: session.token }),
    queryClient: new QueryClient({ defaultOptions: { queries: { retry: 1 } } }),
  }));
  useEffect(
    () => () => {
      client.$realtime?.close();
      queryClient.clear();
    },
    [client, queryClient],
  );
  return (
    <SsotProvider client={client} queryClient={queryClient}>
      <Tasks session={session} onSignOut={onSignOut} />
    </SsotProvider>
  );
}

function SignIn({ error, onSignIn }: { error: string | null; onSignIn: (token: string) => void }) {
  const [text, setText] = useState("");
  return (
    <main className="sign-in">
      <h1>ssot todo</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim() !== "") onSignIn(text.trim());
        }}
      >
        <label htmlFor="token">Sign in with a token</label>
        <textarea id="token" rows={4} value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit">Sign in</button>
      </form>
      {error !== null && <p role="alert">{error}</p>}
      <p>
        Mint one with <code>ssot token --sub alice --config examples/todo/config.lua</code> (README.md), or open
        this page with <code>?token=…</code>.
      </p>
    </main>
  );
}
