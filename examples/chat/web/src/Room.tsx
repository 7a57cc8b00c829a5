// One room: its messages (a live list), who is here (presence on chat:room:{roomId}), who is
// typing (that channel's typed `typing` event, { name }), a private room's members, and the composer.
import { useEffect, useRef, useState } from "react";
import { useChannel, useCreate, useGet, useList, usePresence, type UseChannelResult } from "../../generated/react/index.js";
import { isForbidden, isNotFound, type User } from "../../generated/sdk/index.js";
import { Members } from "./Members";
import type { Session } from "./session";

const CHANNEL = "chat:room:{roomId}";
/** How long a typing notice lasts without a newer one. */
const TYPING_MS = 4000;
/** At most one typing event per this many ms while typing. */
const TYPING_EVERY_MS = 1500;

interface Props {
  roomId: number;
  session: Session;
  /** The signed-in user's name, sent in typing events. */
  me: string;
  nameOf: (userId: string) => string;
  /** Everyone, for a private room's "add a member". */
  users: readonly User[];
}

export function Room({ roomId, session, me, nameOf, users }: Props) {
  const room = useGet("Room", roomId);
  const messages = useList("Message", { where: { roomId }, orderBy: { id: "asc" }, take: 100 });
  // Who is typing: user id → { name, until }.
  const [typing, setTyping] = useState<ReadonlyMap<string, { name: string; until: number }>>(new Map());
  const forget = (userId: string) =>
    setTyping((now) => {
      if (!now.has(userId)) return now;
      const next = new Map(now);
      next.delete(userId);
      return next;
    });
  const channel = useChannel(CHANNEL, { roomId }, (e) => {
    if (e.event === "typing" && typeof e.from === "string" && e.from !== session.userId) {
      const from = e.from;
      setTyping((now) => new Map(now).set(from, { name: e.data.name, until: Date.now() + TYPING_MS }));
    } else if (e.event === "stopTyping" && typeof e.from === "string") {
      forget(e.from);
    } else if (e.event === "leave") {
      forget(e.data.userId);
    }
  });
  const here = usePresence(CHANNEL, { roomId });

  // Typing notices expire; a message from the typist ends theirs at once.
  useEffect(() => {
    if (typing.size === 0) return undefined;
    const timer = setInterval(() => {
      setTyping((now) => new Map([...now].filter(([, t]) => t.until > Date.now())));
    }, 500);
    return () => clearInterval(timer);
  }, [typing.size]);
  const items = messages.data?.items;
  const last = items?.[items.length - 1];
  useEffect(() => {
    if (last !== undefined) forget(String(last.authorId));
  }, [last]);

  // Keep the newest message in view.
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView({ block: "end" });
  }, [items?.length]);

  const typists = [...typing.values()].map((t) => t.name);
  if (room.data === null) return <section className="room"><p role="alert">This room was deleted.</p></section>;
  if (room.isError && (isForbidden(room.error) || isNotFound(room.error))) {
    return (
      <section className="room">
        <p role="alert">This room is private, or gone.</p>
      </section>
    );
  }
  return (
    <section className="room" aria-labelledby="room-title">
      <h2 id="room-title">{room.data?.title ?? "…"}</h2>
      {room.data?.isPrivate === true && <Members room={room.data} session={session} users={users} nameOf={nameOf} />}
      <p className="presence" data-testid="presence">
        Here: {here.map(nameOf).sort().join(", ") || "nobody"}
      </p>
      {messages.isError ? (
        <p role="alert">{messages.error.message}</p>
      ) : (
        <ol className="messages" data-testid="messages" ref={list}>
          {(items ?? []).map((m) => (
            <li key={m.id} className={String(m.authorId) === session.userId ? "mine" : undefined}>
              <strong>{nameOf(String(m.authorId))}</strong>{" "}
              <time dateTime={m.createdAt}>{new Date(m.createdAt).toLocaleTimeString()}</time>
              <p>{m.text}</p>
            </li>
          ))}
        </ol>
      )}
      <p className="typing" data-testid="typing" aria-live="polite">
        {typists.length === 0 ? "" : `${typists.join(", ")} ${typists.length === 1 ? "is" : "are"} typing…`}
      </p>
      <Composer roomId={roomId} me={me} publish={channel.publish} />
    </section>
  );
}

function Composer({ roomId, me, publish }: { roomId: number; me: string; publish: UseChannelResult<typeof CHANNEL>["publish"] }) {
  const [text, setText] = useState("");
  const lastTyping = useRef(0);
  const send = useCreate("Message", { onSuccess: () => setText("") });
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim() === "") return;
        send.mutate({ roomId, text: text.trim() });
        lastTyping.current = 0;
        publish("stopTyping").catch(() => {});
      }}
    >
      <input
        aria-label="Message"
        placeholder="Write a message"
        maxLength={2000}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const now = Date.now();
          if (e.target.value !== "" && now - lastTyping.current > TYPING_EVERY_MS) {
            lastTyping.current = now;
            // Typing is a hint: when the socket is down it is simply not sent.
            publish("typing", { name: me }).catch(() => {});
          }
        }}
      />
      <button type="submit" disabled={send.isPending}>
        Send
      </button>
      {send.isError && <p role="alert">{send.error.message}</p>}
    </form>
  );
}
