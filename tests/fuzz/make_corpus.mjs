// Writes the seed corpus of each fuzz target (tests/fuzz/corpus/<target>/): a few valid and
// almost-valid inputs that show the fuzzer the shapes to mutate — requests to every model of
// tests/fixtures/configs/everything.lua with tokens signed by the harness's secret, bodies,
// list queries, tokens, manifests, configs, rules and templates. Run it after changing a
// harness's input format: node tests/fuzz/make_corpus.mjs
import { createHash, createHmac } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const SECRET = "fuzz-secret-0123456789abcdef0123456789abcdef"; // tests/fuzz/fuzz_app.h FUZZ_SECRET
const b64 = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
const sign = (claims) => {
  const signing = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  return `${signing}.${createHmac("sha256", SECRET).update(signing).digest("base64url")}`;
};
const admin = sign({ sub: "00000000-0000-4000-8000-000000000001", role: "admin", exp: 4102444800 });
const member = sign({ sub: "2", role: "member", exp: 4102444800 });

const seeds = {};
const add = (target, name, bytes) => ((seeds[target] ??= {})[name] = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));

// http: the first byte is the size of the pieces the head arrives in
const request = (method, target, { token, body, headers = "" } = {}) => {
  let text = `${method} ${target} HTTP/1.1\r\nHost: fuzz\r\n${headers}`;
  if (token) text += `Authorization: Bearer ${token}\r\n`;
  if (body !== undefined) {
    const json = typeof body === "string" ? body : JSON.stringify(body);
    text += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
  } else {
    text += "\r\n";
  }
  return text;
};
const q = (v) => encodeURIComponent(JSON.stringify(v));
const http = {
  list_people: request("GET", `/api/people?where=${q({ score: { gt: 0.25 }, role: { in: ["admin", "member"] } })}&orderBy=${q({ createdAt: "desc" })}&take=5`, { token: member }),
  create_person: request("POST", "/api/people", { body: { email: "a@b.c", displayName: "A", age: 3, score: 0.1, settings: { x: [1] }, lastSeenAt: "2026-05-06T07:08:09+02:00" } }),
  create_post: request("POST", "/api/blog-posts", { token: admin, body: { authorId: "00000000-0000-4000-8000-000000000001", title: "T", slug: "t", body: "b", rating: 4.5, metadata: { a: null } } }),
  patch_post: request("PATCH", "/api/blog-posts/1", { token: member, body: { status: "published" } }),
  put_topic: request("PUT", "/api/topics/1", { token: admin, body: { name: "n", sort_order: 2 } }),
  delete_comment: request("DELETE", "/api/comments/1", { token: member }),
  get_label: request("GET", "/api/labels/4b1d3a52-0000-4000-8000-000000000000"),
  options: request("OPTIONS", "/api/http-logs", { headers: "Origin: http://localhost:5173\r\n" }),
  stats: request("GET", "/api/stats?x=1"),
  healthz: request("HEAD", "/healthz"),
  chunked: "POST /api/labels HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
    '5;x=y\r\n{"lab\r\n10\r\nel":"red","colo\r\n9\r\nr":"red"}\r\n0\r\nT: 1\r\n\r\n',
  pipelined: request("GET", "/api/topics") + request("POST", "/api/topics", { token: admin, body: { name: "x" } }) +
    request("GET", "/api/topics/1?token=" + admin),
  absolute: request("GET", "http://fuzz/api/topics/%2e%2e/topics?take=1"),
  bad_framing: "POST /api/topics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n{}}",
};
for (const [name, text] of Object.entries(http)) add("http", name, Buffer.concat([Buffer.from([7]), Buffer.from(text)]));

// body: the first byte picks the model (index in the IR's order) and the mode
const bodies = [
  [0, { email: "x@y", displayName: "X", role: "moderator", age: 30, score: 1e-7, isActive: false, bio: "é", settings: [null], lastSeenAt: "2026-01-02" }],
  [2, { authorId: "p", title: "t", slug: "s", body: "b", status: "archived", rating: 2.5, views: 3, metadata: { k: [1, { v: true }] }, publishedAt: "2026-01-01T00:00:00.5Z" }],
  [3, { postId: 1, text: "hi" }],
  [5, { method: "GET", statusCode: 200, durationMs: 1.25 }],
  [1 + 6, { name: "n", parentId: null, line2: "l", sort_order: -1 }],
];
bodies.forEach(([selector, body], i) => add("body", `body${i}`, Buffer.concat([Buffer.from([selector]), Buffer.from(JSON.stringify(body))])));

// query: model byte, then where, orderBy, skip and take separated by NUL bytes
const queries = [
  [2, [JSON.stringify({ status: { in: ["draft"] }, rating: { gte: 1.5 }, title: { contains: "a%" }, publishedAt: { lt: "2027-01-01" } }), JSON.stringify([{ views: "desc" }, { id: "asc" }]), "2", "20"]],
  [0, [JSON.stringify({ isActive: true, age: null, score: { ne: 0.5 } }), JSON.stringify({ email: "asc" }), "0", "1"]],
  [1, [JSON.stringify({ parentId: { eq: 1 }, sort_order: { gt: -5 } }), "", "", ""]],
];
queries.forEach(([model, values], i) => add("query", `query${i}`, Buffer.concat([Buffer.from([model]), Buffer.from(values.join("\0"))])));
add("query", "named", Buffer.concat([Buffer.from([4, 0xff]), Buffer.from(`take=3\0where=${JSON.stringify({ label: "x" })}\0nope=1`)]));

// jwt: an even first byte, the token; an odd one, header NUL payload (signed by the harness)
add("jwt", "admin", Buffer.concat([Buffer.from([0]), Buffer.from(admin)]));
add("jwt", "payload", Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify({ alg: "HS256" })), Buffer.from([0]),
  Buffer.from(JSON.stringify({ sub: 42, role: "admin", exp: 1900000000, nbf: 1700000000 }))]));
add("jwt", "payload_only", Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ sub: "02", exp: "x" }))]));

// manifest
const sha = (s) => createHash("sha256").update(s).digest("hex");
add("manifest", "two", `# ssot manifest\n${sha("a")}  sdk/index.ts\n${sha("b")}  react/hooks.ts\n`);

// ws: the first byte cuts the stream into two reads (and sets the message cap); then client
// frames, masked, with messages of docs/protocol.md
const frame = (opcode, payload, { fin = true, key = [1, 2, 3, 4] } = {}) => {
  const body = Buffer.from(payload);
  const len = body.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
    : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 255]);
  return Buffer.concat([head, Buffer.from(key), body.map((b, i) => b ^ key[i % 4])]);
};
const text = (message) => frame(1, typeof message === "string" ? message : JSON.stringify(message));
const ws = {
  subscribe: [text({ type: "subscribe", id: 1, channel: "BlogPost:list", since: { epoch: "0".repeat(32), offset: 3 } })],
  channels: ["Tag:item:4b1d3a52-0000-4000-8000-000000000000", "post:12:typing", "presence:r1:p2", "announcements",
    "Comment:item:07", "Nope:list"].map((channel, i) => text({ type: "subscribe", id: `s${i}`, channel })),
  publish: [text({ type: "publish", id: "p", channel: "post:3:typing", event: "typing", data: { who: [1, null] } }),
    text({ type: "presence", id: 2, channel: "post:3:typing" })],
  request: [text({ type: "request", id: 3, model: "BlogPost", action: "list", params: { where: { views: { gt: 1 } }, take: 2 } }),
    text({ type: "request", id: 4, model: "Tag", action: "update", params: { id: "x", data: { label: "l" }, replace: true } })],
  auth: [text({ type: "auth", id: 5, token: member }), text({ type: "ping", id: "a\"b" }), text({ type: "unsubscribe", channel: "x" })],
  control: [frame(9, "hi"), frame(10, ""), frame(1, '{"type":', { fin: false }), frame(9, "mid"), frame(0, '"ping"}'),
    frame(8, Buffer.from([3, 232]))],
  broken: [text("not json"), text("[1]"), frame(2, "bin"), frame(1, Buffer.from([0xff, 0xfe]))],
};
for (const [name, frames] of Object.entries(ws)) add("ws", name, Buffer.concat([Buffer.from([0x40 + name.length]), ...frames]));

// config, rules, templates: real ones from the repository
add("config", "everything", readFileSync(join(here, "../fixtures/configs/everything.lua")));
add("config", "chat", readFileSync(join(here, "../../examples/chat/config.lua")));
add("config", "small", 'name = "s"\nmodels = { Note = { fields = { { "id", "id" }, { "text", "string", max = 5 } } } }\n');
for (const [i, rule] of ["true", "isOwner || isAdmin", "authenticated && !isAdmin", "(isOwner && (authenticated || false)) || !true"].entries())
  add("rules", `rule${i}`, rule);
const templates = join(here, "../../templates");
for (const dir of readdirSync(templates)) {
  for (const file of readdirSync(join(templates, dir)).filter((f) => f.endsWith(".tpl")).slice(0, 2))
    add("template", `${dir}_${file}`, readFileSync(join(templates, dir, file)));
}
add("template", "small", "<% for i = 1, 3 do %>line <%= i %>\n<% end %><%= name %>");

// Files already there stay: inputs that once found a bug are kept next to the seeds
// (e.g. jwt/nbf_past_time_t) and must keep being run.
for (const [target, files] of Object.entries(seeds)) {
  const dir = join(here, "corpus", target);
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
}
console.log(Object.entries(seeds).map(([t, f]) => `${t}: ${Object.keys(f).length}`).join(", "));
