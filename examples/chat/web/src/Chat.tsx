// The signed-in chat: a header (connection state, who you are), the rooms (live, and a form to
// create one) and the selected room. Everything goes through the generated hooks.
import { useCallback, useMemo, useState } from "react";
import { useConnectionState, useCreate, useList } from "../../generated/react/index.js";
import { Room } from "./Room";
import { roomHref, useRoomRoute } from "./route";
import type { Session } from "./session";

export function Chat({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const [roomId, selectRoom] = useRoomRoute();
  const users = useList("User", { orderBy: { id: "asc" }, take: 100 });
  const names = useMemo(() => new Map((users.data?.items ?? []).map((u) => [String(u.id), u.name])), [users.data]);
  const nameOf = useCallback((id: string) => names.get(id) ?? `user ${id}`, [names]);
  const me = nameOf(session.userId);
  return (
    <div className="chat">
      <header>
        <h1>ssot chat</h1>
        <ConnectionBadge />
        <span className="me">
          signed in as <strong data-testid="me">{me}</strong>
          {session.role === null ? "" : ` (${session.role})`}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <Rooms selected={roomId} onSelect={selectRoom} />
      {roomId === null ? (
        <p className="placeholder">Pick a room, or create one.</p>
      ) : (
        <Room key={roomId} roomId={roomId} session={session} me={me} nameOf={nameOf} />
      )}
    </div>
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

function Rooms({ selected, onSelect }: { selected: number | null; onSelect: (id: number) => void }) {
  const rooms = useList("Room", { orderBy: { id: "asc" }, take: 100 });
  const [title, setTitle] = useState("");
  const create = useCreate("Room", {
    onSuccess: (room) => {
      setTitle("");
      onSelect(room.id);
    },
  });
  return (
    <nav aria-label="Rooms">
      <h2>Rooms</h2>
      {rooms.isPending ? (
        <p>Loading…</p>
      ) : rooms.isError ? (
        <p role="alert">{rooms.error.message}</p>
      ) : (
        <ul>
          {rooms.data.items.map((room) => (
            <li key={room.id}>
              <a
                href={roomHref(room.id)}
                aria-current={room.id === selected ? "page" : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  onSelect(room.id);
                }}
              >
                {room.title}
              </a>
            </li>
          ))}
        </ul>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (title.trim() !== "") create.mutate({ title: title.trim() });
        }}
      >
        <input aria-label="New room" placeholder="New room" maxLength={120} value={title} onChange={(e) => setTitle(e.target.value)} />
        <button type="submit" disabled={create.isPending}>
          Create
        </button>
      </form>
      {create.isError && <p role="alert">{create.error.message}</p>}
    </nav>
  );
}
