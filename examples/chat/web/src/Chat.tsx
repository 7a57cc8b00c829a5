// The signed-in chat: a header (connection state, who you are), the rooms (live, and a form to
// create one, public or private) and the selected room. Everything goes through the generated hooks.
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { ssotKeys, useConnectionState, useCreate, useList } from "../../generated/react/index.js";
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
      <Rooms selected={roomId} onSelect={selectRoom} userId={session.userId} />
      {roomId === null ? (
        <p className="placeholder">Pick a room, or create one.</p>
      ) : (
        <Room key={roomId} roomId={roomId} session={session} me={me} nameOf={nameOf} users={users.data?.items ?? []} />
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

function Rooms({ selected, onSelect, userId }: { selected: number | null; onSelect: (id: number) => void; userId: string }) {
  const rooms = useList("Room", { orderBy: { id: "asc" }, take: 100 });
  useRoomsFollowMembership(userId);
  const [title, setTitle] = useState("");
  const [isPrivate, setPrivate] = useState(false);
  const create = useCreate("Room", {
    onSuccess: (room) => {
      setTitle("");
      setPrivate(false);
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
                {room.isPrivate && (
                  <span className="private" title="Private: its creator and members only">
                    {" "}
                    (private)
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (title.trim() !== "") create.mutate({ title: title.trim(), isPrivate });
        }}
      >
        <input aria-label="New room" placeholder="New room" maxLength={120} value={title} onChange={(e) => setTitle(e.target.value)} />
        <button type="submit" disabled={create.isPending}>
          Create
        </button>
        <label className="private-choice">
          <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} /> private
        </label>
      </form>
      {create.isError && <p role="alert">{create.error.message}</p>}
    </nav>
  );
}

/**
 * Being added to (or leaving) a private room changes which rooms this user sees, though no room
 * changed: the room list follows the user's own memberships, a live list, and refetches when
 * they change.
 */
function useRoomsFollowMembership(userId: string) {
  const queryClient = useQueryClient();
  const memberships = useList("RoomMember", { where: { userId: Number(userId) }, take: 100 });
  const version = memberships.data?.items.map((m) => m.roomId).join(",");
  useEffect(() => {
    if (version !== undefined) void queryClient.invalidateQueries({ queryKey: ssotKeys.all("Room") });
  }, [version, queryClient]);
}
