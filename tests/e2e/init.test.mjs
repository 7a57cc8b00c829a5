// `ssot init` end to end, as a newcomer would use it: for every preset, `ssot init --yes`, then
// `ssot run` in the new project, the generated TypeScript type-checked with the repo's pinned
// tsc (the project's own tsconfig.json, then tests/node/tsconfig.strict.json), and `ssot serve`
// on the project answering /healthz and its permission rules; and the questions asked on a
// terminal, answered through a pseudo-terminal (util-linux `script`, else python3's pty).
// Needs `npm ci` (tsc, React's types). Uses tests/node/helpers.mjs and tests/e2e/helpers.mjs.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tsc } from "../node/helpers.mjs";
import { api, mint, SOURCE_DIR, SSOT_BIN, startServe, tempDir } from "./helpers.mjs";

const TSC = join(SOURCE_DIR, "node_modules", "typescript", "bin", "tsc");

/** Runs ssot with args in cwd, stdin closed (no terminal): { status, stdout, stderr }. */
function ssot(args, cwd) {
  const result = spawnSync(SSOT_BIN, args, {
    cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** What each preset's server must do: its list endpoint, and its rules at work over HTTP. */
const PRESETS = {
  chat: {
    list: "/api/messages",
    async check(url) {
      const alice = mint("alice");
      assert.equal((await api(url, "GET", "/api/messages")).status, 401, "reading needs a token");
      const room = await api(url, "POST", "/api/rooms", { token: alice, body: { title: "General" } });
      assert.equal(room.status, 201, room.text);
      const message = await api(url, "POST", "/api/messages", { token: alice, body: { roomId: room.json.id, text: "hi" } });
      assert.equal(message.status, 201, message.text);
      assert.equal(message.json.authorId, "alice", "the author comes from the token");
      const edit = await api(url, "PATCH", `/api/messages/${message.json.id}`, { token: mint("bob"), body: { text: "x" } });
      assert.equal(edit.status, 403, "only the author edits a message");
    },
  },
  todo: {
    list: "/api/tasks",
    async check(url) {
      const created = await api(url, "POST", "/api/tasks", { token: mint("alice"), body: { title: "Write the docs" } });
      assert.equal(created.status, 201, created.text);
      assert.equal((await api(url, "GET", "/api/tasks", { token: mint("alice") })).json.total, 1);
      assert.equal((await api(url, "GET", "/api/tasks", { token: mint("bob") })).json.total, 0, "bob sees only his own");
    },
  },
  inventory: {
    list: "/api/products",
    async check(url) {
      const body = { sku: "A-1", name: "Apple", price: 0.5, stock: 10 };
      assert.equal((await api(url, "POST", "/api/products", { token: mint("alice"), body })).status, 403);
      const created = await api(url, "POST", "/api/products", { token: mint("boss", { role: "admin" }), body });
      assert.equal(created.status, 201, created.text);
      const list = await api(url, "GET", "/api/products");
      assert.equal(list.status, 200, "anyone may browse");
      assert.equal(list.json.items[0].stock, 10);
    },
  },
  notifications: {
    list: "/api/notifications",
    async check(url) {
      const created = await api(url, "POST", "/api/notifications", { token: mint("alice"), body: { title: "Welcome" } });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.userId, "alice");
      assert.equal((await api(url, "GET", "/api/notifications", { token: mint("alice") })).json.total, 1);
      assert.equal((await api(url, "GET", "/api/notifications", { token: mint("bob") })).json.total, 0);
    },
  },
  blank: {
    list: "/api/items",
    async check(url) {
      assert.equal((await api(url, "POST", "/api/items", { body: { name: "first" } })).status, 401);
      assert.equal((await api(url, "POST", "/api/items", { token: mint("alice"), body: { name: "first" } })).status, 201);
      assert.equal((await api(url, "GET", "/api/items")).json.total, 1);
    },
  },
};

describe("ssot init --yes, then ssot run, tsc and ssot serve", () => {
  for (const [preset, expect] of Object.entries(PRESETS)) {
    it(`the ${preset} preset`, async () => {
      const dir = join(tempDir(`init-${preset}`), "app");
      const init = ssot(["init", dir, "--yes", "--preset", preset], undefined);
      assert.equal(init.status, 0, init.stderr);
      assert.match(init.stdout, new RegExp(`cd ${dir}\\n  ssot run .*\\n  ssot serve .*${expect.list}`));

      const run = ssot(["run"], dir);
      assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
      assert.match(readFileSync(join(dir, "generated", "sdk", "index.ts"), "utf8"), /createClient/);

      // The project's own tsconfig.json, with the repo's packages standing in for npm install.
      symlinkSync(join(SOURCE_DIR, "node_modules"), join(dir, "node_modules"), "dir");
      const own = spawnSync(process.execPath, [TSC, "-p", dir, "--pretty", "false"], { encoding: "utf8" });
      assert.equal(own.status, 0, `tsc -p ${dir}:\n${own.stdout}${own.stderr}`);
      const strict = tsc(dir);   // replaces tsconfig.json with one extending tests/node/tsconfig.strict.json
      assert.ok(strict.ok, strict.output);

      const server = await startServe(join(dir, "config.lua"), { db: join(dir, "data", "test.db") });
      try {
        const health = await api(server.url, "GET", "/healthz");
        assert.equal(health.status, 200, health.text);
        await expect.check(server.url);
      } finally {
        await server.stop();
      }
    });
  }
});

/** How to run a command on a pseudo-terminal here: util-linux script, else python3's pty. */
function terminalRunner() {
  if (spawnSync("script", ["--version"]).status === 0) {
    return (command) => ["script", ["-qec", command, "/dev/null"]];
  }
  if (spawnSync("python3", ["-c", "import pty"]).status === 0) {
    return (command) => ["python3", ["-c", "import pty, sys; sys.exit(pty.spawn(['sh', '-c', sys.argv[1]]) >> 8)", command]];
  }
  return null;
}
const onTerminal = terminalRunner();
const shellQuote = (s) => `'${s.replace(/'/g, "'\\''")}'`;

/** Runs `ssot init <args>` on a pseudo-terminal in cwd, typing answers (a list of lines). */
function initOnTerminal(cwd, args, answers) {
  const [command, argv] = onTerminal(`${shellQuote(SSOT_BIN)} init ${args.map(shellQuote).join(" ")}`);
  const proc = spawn(command, argv, { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  proc.stdout.setEncoding("utf8");
  proc.stdout.on("data", (chunk) => { output += chunk; });
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (chunk) => { output += chunk; });
  proc.stdin.end(answers.map((line) => `${line}\n`).join(""));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => { proc.kill("SIGKILL"); fail(new Error(`ssot init did not finish:\n${output}`)); }, 20000);
    proc.on("exit", (status) => { clearTimeout(timer); ok({ status, output }); });
  });
}

describe("ssot init on a terminal", { skip: onTerminal ? false : "neither script nor python3's pty is here" }, () => {
  it("asks each question with its default, and the answers take effect", async () => {
    const cwd = tempDir("init-ask");
    const { status, output } = await initOnTerminal(cwd, ["shop"], ["my-shop", "inventory", "Product", "off", "9090"]);
    assert.equal(status, 0, output);
    for (const prompt of ["App name [shop]: ", "Preset (chat, todo, inventory, notifications, blank) [chat]: ",
      "Models with real time, comma-separated or none (Category, Product) [none]: ",
      "Auth: sign-in with JWTs and permission rules (on/off) [on]: ", "Port [8080]: "]) {
      assert.ok(output.includes(prompt), `no prompt ${JSON.stringify(prompt)} in:\n${output}`);
    }
    const config = readFileSync(join(cwd, "shop", "config.lua"), "utf8");
    assert.match(config, /^name = "my-shop"$/m);
    assert.match(config, /^-- Written by `ssot init --preset inventory`/m);
    assert.match(config, /^ {6}Product = true,/m);
    assert.match(config, /^-- Auth is off/m);
    assert.match(config, /^ {2}port = 9090,$/m);
    assert.equal(ssot(["run", "--quiet"], join(cwd, "shop")).status, 0);
  });

  it("keeps the defaults on Enter, and asks again after a wrong answer", async () => {
    const cwd = tempDir("init-defaults");
    const { status, output } = await initOnTerminal(cwd, ["talk"], ["", "forum", "", "", "", "abc", ""]);
    assert.equal(status, 0, output);
    assert.match(output, /no preset 'forum': choose chat, todo, inventory, notifications, blank/);
    assert.match(output, /'abc' is not a port: give a number from 0 to 65535/);
    assert.match(output, /Models with real time, comma-separated or none \(User, Room, Message\) \[Message\]: /);
    const config = readFileSync(join(cwd, "talk", "config.lua"), "utf8");
    assert.match(config, /^name = "talk"$/m);
    assert.match(config, /^ {6}Message = true,/m);
    assert.match(config, /^ {4}owner = "authorId",$/m);
    assert.match(config, /^ {2}port = 8080,$/m);
  });

  it("asks nothing with --yes, even on a terminal", async () => {
    const cwd = tempDir("init-yes");
    const { status, output } = await initOnTerminal(cwd, ["quiet", "--yes"], []);
    assert.equal(status, 0, output);
    assert.doesNotMatch(output, /\[chat\]/);
    assert.match(readFileSync(join(cwd, "quiet", "config.lua"), "utf8"), /^name = "quiet"$/m);
  });
});
