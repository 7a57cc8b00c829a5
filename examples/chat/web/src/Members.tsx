// Who is in a private room: its creator and its members (a live list of RoomMember). The
// creator (or an admin) adds and removes members; a member may leave. The server's rules
// decide (config.lua); this only offers what they would allow.
import { useState } from "react";
import { useCreate, useDelete, useList } from "../../generated/react/index.js";
import type { Room, User } from "../../generated/sdk/index.js";
import type { Session } from "./session";

interface Props {
  room: Room;
  session: Session;
  users: readonly User[];
  nameOf: (userId: string) => string;
}

export function Members({ room, session, users, nameOf }: Props) {
  const members = useList("RoomMember", { where: { roomId: room.id }, orderBy: { id: "asc" }, take: 100 });
  const add = useCreate("RoomMember");
  const remove = useDelete("RoomMember");
  const [choice, setChoice] = useState("");
  const manages = session.role === "admin" || String(room.createdBy) === session.userId;
  const inRoom = new Set([room.createdBy, ...(members.data?.items ?? []).map((m) => m.userId)]);
  const others = users.filter((u) => !inRoom.has(u.id));
  return (
    <section className="members" aria-label="Members">
      <p data-testid="room-owner">
        Private room of <strong>{nameOf(String(room.createdBy))}</strong>
        {members.data !== undefined && members.data.items.length > 0 ? ", with:" : ", nobody else yet."}
      </p>
      <ul data-testid="members">
        {(members.data?.items ?? []).map((m) => (
          <li key={m.id}>
            {nameOf(String(m.userId))}{" "}
            {(manages || String(m.userId) === session.userId) && (
              <button type="button" disabled={remove.isPending} onClick={() => remove.mutate(m.id)}>
                {String(m.userId) === session.userId ? "Leave" : "Remove"}
              </button>
            )}
          </li>
        ))}
      </ul>
      {manages && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (choice !== "") add.mutate({ roomId: room.id, userId: Number(choice) }, { onSuccess: () => setChoice("") });
          }}
        >
          <select aria-label="Add a member" value={choice} onChange={(e) => setChoice(e.target.value)}>
            <option value="">Add a member…</option>
            {others.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
          <button type="submit" disabled={choice === "" || add.isPending}>
            Add
          </button>
        </form>
      )}
      {(add.isError || remove.isError) && <p role="alert">{(add.error ?? remove.error)?.message}</p>}
    </section>
  );
}
