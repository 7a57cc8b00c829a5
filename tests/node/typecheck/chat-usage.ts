// Type-level tests of the SDK and hooks generated from examples/chat: what must compile does,
// and every `@ts-expect-error` line must fail to compile (tsc reports an unused one).
// sdk-typecheck.test.mjs copies this file next to the generated code and runs tsc --strict.
import { QueryClient } from "@tanstack/react-query";
import {
  createClient,
  isNotFound,
  isValidation,
  messageKindValues,
  type Message,
  type MessageCreate,
  type MessageKind,
  type MessageListParams,
  type MessageUpdate,
  type SsotModels,
} from "../generated/sdk/index.js";
import {
  SsotProvider,
  useCreate,
  useCreateMessage,
  useDelete,
  useGet,
  useList,
  useMessage,
  useMessages,
  useChannel,
  useConnectionState,
  usePresence,
  useUpdate,
} from "../generated/react/index.js";

const client = createClient({ baseUrl: "http://localhost:8080", token: async () => "jwt", timeout: 5000, retries: 3 });

export async function sdkUsage(): Promise<void> {
  const page = await client.messages.list({
    where: { roomId: 3, kind: { in: ["text", "image"] }, editedAt: null, createdAt: { gte: new Date() }, text: { contains: "hi" } },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    skip: 0,
    take: 20,
  });
  const first: Message | undefined = page.items[0];
  const kind: MessageKind | undefined = first?.kind;
  const text: string | undefined = first?.text;
  const editedAt: string | null | undefined = first?.editedAt;
  void [kind, text, editedAt, page.total, page.offset, page.epoch];

  const created = await client.messages.create({ roomId: 3, text: "hello" });
  const id: number = created.id;
  await client.messages.update(id, { text: "edited" });
  await client.messages.replace(id, { roomId: 3, text: "all new", kind: "system" });
  await client.messages.delete(id);
  await client.rooms.create({ title: "general" });
  const byName = client.$model("Room");
  await byName.get(1);

  try {
    await client.users.get(1);
  } catch (error) {
    if (isNotFound(error)) console.log(error.status, error.code);
    if (isValidation(error)) console.log(error.fields["email"]);
  }

  // json fields take anything JSON.stringify encodes: interfaces, readonly arrays, nested Dates.
  interface Attachment {
    url: string;
    size: number;
  }
  const attachment: Attachment = { url: "https://example.com/a.png", size: 3 };
  const urls: readonly string[] = [attachment.url];
  await client.messages.create({ roomId: 3, text: "files", attachments: [attachment] });
  await client.messages.update(id, { attachments: { urls, at: new Date() } });
  await client.messages.update(id, { attachments: null });
  const stored: unknown = created.attachments;
  void stored;

  const kinds: readonly MessageKind[] = messageKindValues;
  void kinds;

  // @ts-expect-error: text is required on create
  await client.messages.create({ roomId: 3 });
  // @ts-expect-error: the id is set by the server
  await client.messages.create({ roomId: 3, text: "x", id: 9 });
  // @ts-expect-error: the owner is set by the server from the token
  await client.messages.create({ roomId: 3, text: "x", authorId: 1 });
  // @ts-expect-error: createdAt is set by the server
  await client.messages.update(1, { createdAt: "2026-01-01T00:00:00.000Z" });
  // @ts-expect-error: not one of the enum's values
  await client.messages.update(1, { kind: "video" });
  // @ts-expect-error: an unknown field
  await client.messages.list({ where: { body: "x" } });
  // @ts-expect-error: contains is for text fields only
  await client.messages.list({ where: { roomId: { contains: 3 } } });
  // @ts-expect-error: roomId is required, so it cannot be null
  await client.messages.list({ where: { roomId: null } });
  // @ts-expect-error: json fields cannot be ordered by
  await client.messages.list({ orderBy: { attachments: "asc" } });
  // @ts-expect-error: one field per sort key
  await client.messages.list({ orderBy: { createdAt: "asc", id: "desc" } });
  // @ts-expect-error: a sort direction is "asc" or "desc"
  await client.messages.list({ orderBy: { createdAt: "up" } });
  // @ts-expect-error: take is a number
  await client.messages.list({ take: "20" });
  // @ts-expect-error: skip is a number
  await client.messages.list({ skip: null });
  // @ts-expect-error: enums take eq, ne and in only
  await client.messages.list({ where: { kind: { lt: "text" } } });
  // @ts-expect-error: a datetime compares with an ISO string or a Date
  await client.messages.list({ where: { createdAt: { gte: 5 } } });
  // @ts-expect-error: in takes a list of the field's values
  await client.messages.list({ where: { kind: { in: ["video"] } } });
  // @ts-expect-error: an unknown list parameter
  await client.messages.list({ limit: 5 });
  // @ts-expect-error: ids of integer-id models are numbers
  await client.messages.get("7");
  // @ts-expect-error: no such model
  client.$model("Mesage");
}

export function hookUsage(): void {
  const params: MessageListParams = { where: { roomId: 1 }, orderBy: { createdAt: "asc" } };
  const list = useList("Message", params);
  const rows: Message[] | undefined = list.data?.items;
  const same = useMessages(params, { staleTime: 1000 });
  const one = useGet("Room", 1);
  const title: string | undefined = one.data?.title;
  const idle = useMessage(undefined);
  void [rows, same, title, idle];

  const create = useCreate("Message", { onSuccess: (row) => console.log(row.id) });
  const input: MessageCreate = { roomId: 1, text: "hi" };
  create.mutate(input);
  useCreateMessage().mutate({ roomId: 1, text: "hi" });
  const patch: MessageUpdate = { text: "x" };
  useUpdate("Message").mutate({ id: 1, data: patch });
  useDelete("User").mutate(3);

  // @ts-expect-error: a Room has no text
  useCreate("Room").mutate({ text: "x" });
  // @ts-expect-error: wrong params for the model
  useList("Room", { where: { roomId: 1 } });
  // @ts-expect-error: no such model
  useList("Rooms");
}

export function realtimeUsage(): void {
  // chat enables websockets: Message offers list and item channels, Room only list, User none.
  const stop = client.messages.subscribe((change) => {
    const type: "created" | "updated" | "deleted" = change.type;
    const row: Message = change.row;
    void [type, row];
  }, { onSubscribed: (info) => void info.recovered });
  client.messages.onUpdate(1, (row) => void row.text);
  client.messages.onDelete(1, (row) => void row.id);
  client.rooms.subscribe((change) => void change.row.title);
  stop();
  // @ts-expect-error: Room offers no item channel
  client.rooms.onUpdate(1, () => {});
  // @ts-expect-error: User is not in pubsub.models
  client.users.subscribe(() => {});
  // @ts-expect-error: item ids are numbers
  client.messages.onUpdate("1", () => {});

  const room = client.$channel("chat:room:{roomId}", { roomId: 3 });
  room.subscribe((e) => {
    const event: "typing" | "stopTyping" | "join" | "leave" = e.event;
    void event;
  });
  void room.publish("typing", { name: "ada" });
  void room.publish("stopTyping");
  void room.presence();
  room.subscribe((e) => {
    if (e.event === "typing") {
      const who: string = e.data.name; // typing's payload fields, as declared
      void who;
    }
    if (e.event === "join") void e.data.userId;
  });
  // @ts-expect-error: typing's payload needs its name
  void room.publish("typing", {});
  // @ts-expect-error: typing's payload is declared: it cannot be left out
  void room.publish("typing");
  // @ts-expect-error: name is a string
  void room.publish("typing", { name: 3 });
  // @ts-expect-error: not an event of the channel
  void room.publish("shout");
  // @ts-expect-error: the pattern's parameter is roomId
  client.$channel("chat:room:{roomId}", { id: 3 });
  // @ts-expect-error: no such channel pattern
  client.$channel("chat:lobby", {});

  const live = useChannel("chat:room:{roomId}", { roomId: 1 }, (e) => void e.from);
  void live.publish("stopTyping");
  void live.publish("typing", { name: "ada" });
  // @ts-expect-error: not typing's field
  void live.publish("typing", { who: "ada" });
  const users: string[] = usePresence("chat:room:{roomId}", { roomId: 1 });
  const state: "idle" | "connecting" | "open" | "reconnecting" | "closed" = useConnectionState();
  // useGet follows its row: deleted makes it null.
  const followed: Message | null | undefined = useMessage(1).data;
  void [users, state, followed];
  // @ts-expect-error: not an event of the channel
  void useChannel("chat:room:{roomId}", { roomId: 1 }).publish("shout");
}

export const provider = SsotProvider({ client, queryClient: new QueryClient(), children: null });
export type MessageRow = SsotModels["Message"]["row"];
