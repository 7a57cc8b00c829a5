// docs/deploy.md's "Backups", run against a live server: the one-off copies (`.backup`,
// `VACUUM INTO`) and the nightly script, as the doc prints them, while `ssot serve` is writing to
// the database; each copy must open, pass PRAGMA integrity_check and hold every row the server
// answered 2xx before the copy started, and the script keeps 14 days. Then the steps of
// "Restoring", in the doc's order, and the restored server serves the backup's rows under a new
// change-stream epoch (a client's old position is not recovered).
//
// What is replaced to run here, and nothing else: the doc's /srv/myapp and /var/backups/myapp
// are directories under a temporary one (the script's, through the two variables at its top);
// `sudo -u myapp` and `sudo` are dropped, and install's `-o myapp -g myapp` (there is no myapp
// user here); `systemctl stop myapp` is SIGTERM to the server, `systemctl start myapp` a new
// `ssot serve` of the same config; `backup.db` in the restore steps is the script's copy.
// Needs the sqlite3 CLI; `ws` (node_modules) for the change stream's epoch.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { blocks as blocksOf, commands } from "./doc-commands.mjs";
import { SOURCE_DIR, api, startServe, tempDir } from "./helpers.mjs";
import { Client } from "./ws.mjs";

const DOC = readFileSync(join(SOURCE_DIR, "docs/deploy.md"), "utf8");
const sh = (lang) => blocksOf(DOC, "Backups", "docs/deploy.md").filter((b) => b.lang === lang);

const ROOT = realpathSync(tempDir("backup"));
const APP = join(ROOT, "srv/myapp"); // /srv/myapp
const BACKUPS = join(ROOT, "var/backups/myapp"); // /var/backups/myapp
const DB = join(APP, "data/myapp.db");
mkdirSync(APP, { recursive: true });
mkdirSync(BACKUPS, { recursive: true });
writeFileSync(join(APP, "config.lua"), `name = "myapp"
models = {
  Note = {
    fields = { { "id", "id" }, { "text", "string" } },
    permissions = { list = "true", get = "true", create = "true", update = "true", delete = "true" },
  },
}
websockets = { pubsub = { models = { Note = true } } }
`);

/** A documented command with this machine's paths and without the service user (see the top). */
function here(command) {
  return command
    .replaceAll("sudo -u myapp ", "")
    .replace(/^sudo /, "")
    .replace(/&& sudo /g, "&& ")
    .replace(" -o myapp -g myapp", "")
    .replaceAll("/srv/myapp", APP)
    .replaceAll("/var/backups/myapp", BACKUPS);
}

/** Runs a shell command line; fails with its output unless it exits 0. */
function run(command, cwd = ROOT) {
  const result = spawnSync("sh", ["-euc", command], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  assert.equal(result.status, 0, `$ ${command}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

const sqlite = (db, sql) => run(`sqlite3 -json '${db}' "${sql}"`);
const rowsOf = (db) => JSON.parse(sqlite(db, "SELECT id, text FROM notes ORDER BY id") || "[]");

/** Asserts the copy opens, passes integrity_check and has every row of `acked`. */
function assertCopy(copy, acked) {
  assert.equal(run(`sqlite3 '${copy}' 'PRAGMA integrity_check'`), "ok\n");
  const held = new Map(rowsOf(copy).map((row) => [row.id, row.text]));
  const missing = acked.filter((row) => held.get(row.id) !== row.text);
  assert.deepEqual(missing, [], `rows answered 201 before the copy started are missing from ${copy}`);
  assert.ok(held.size >= acked.length);
}

let server;
after(async () => {
  if (server && server.proc.exitCode === null && server.proc.signalCode === null) await server.stop();
});

/** Writers that keep creating notes until stopped; acked holds each row answered 201, in order. */
function write(base) {
  const acked = [];
  let going = true;
  let n = 0;
  const loops = Array.from({ length: 4 }, async () => {
    while (going) {
      const text = `note ${++n} ${"x".repeat(200)}`;
      const res = await api(base, "POST", "/api/notes", { body: { text } });
      assert.equal(res.status, 201, res.text);
      acked.push({ id: res.json.id, text });
    }
  });
  return {
    acked,
    async until(count) {
      while (acked.length < count) await new Promise((ok) => setTimeout(ok, 5));
    },
    async stop() {
      going = false;
      await Promise.all(loops);
    },
  };
}

/** Runs an executable file to its end without blocking the writers. */
function runScript(file) {
  return new Promise((ok) => {
    const child = spawn(file, [], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    child.on("exit", (code) => ok({ code, output }));
  });
}

describe("docs/deploy.md: Backups, and Restoring", () => {
  let backup; // the nightly script's copy
  let epoch; // the change stream's before the restore

  it("the one-off copies, while the server writes", async () => {
    server = await startServe(join(APP, "config.lua"), { args: ["--quiet"] });
    const writers = write(server.url);
    await writers.until(200);
    const [copies] = sh("sh");
    const lines = commands(copies.text);
    assert.equal(lines.length, 2, copies.text);
    assert.match(lines[0], /\.backup /);
    assert.match(lines[1], /VACUUM INTO /);
    for (const line of lines) {
      const acked = writers.acked.slice();
      run(here(line));
      const [copy] = readdirSync(BACKUPS);
      assert.match(copy, /^myapp-\d{4}-\d\d-\d\d-\d{4}\.db$/);
      assertCopy(join(BACKUPS, copy), acked);
      rmSync(join(BACKUPS, copy));
    }
    await writers.stop();
    // "Check a backup before trusting it": the command prints ok (its file: the doc's example name)
    const [check] = sh("sh").slice(1);
    const [checkLine] = commands(check.text);
    run(`cp '${DB}' '${BACKUPS}/myapp-2026-12-05-0300.db'`);
    assert.equal(run(here(checkLine)), "ok\n");
    rmSync(join(BACKUPS, "myapp-2026-12-05-0300.db"));
  });

  it("the nightly script: a checked copy with every acknowledged row, 14 days kept", async () => {
    const script = sh("sh").find((b) => b.text.startsWith("#!/bin/sh"));
    assert.ok(script, "the backup script");
    const text = script.text
      .replace(/^db=\/srv\/myapp\/data\/myapp\.db$/m, `db=${DB}`)
      .replace(/^backups=\/var\/backups\/myapp$/m, `backups=${BACKUPS}`);
    assert.match(script.text, /^db=\/srv\/myapp\/data\/myapp\.db\nbackups=\/var\/backups\/myapp\n/m, "the two variables");
    assert.doesNotMatch(script.text.replace(/^(db|backups)=.*$/gm, ""), /\/srv\/|\/var\//,
      "every path of the script is set by the two variables at its top");
    const file = join(ROOT, "myapp-backup");
    writeFileSync(file, text);
    chmodSync(file, 0o755);

    // yesterday's copies are kept, those older than 14 days removed, other files left alone
    const day = 86400;
    const aged = (name, days) => {
      writeFileSync(join(BACKUPS, name), "");
      const t = Date.now() / 1000 - days * day;
      utimesSync(join(BACKUPS, name), t, t);
    };
    aged("myapp-2000-01-01.db", 20);
    aged("myapp-2000-01-02.db", 3);
    aged("notes.txt", 20);

    // the live server is writing; its WebSocket clients hold a position in the change stream
    const writers = write(server.url);
    await writers.until(300);
    const client = await Client.connect(server.url);
    epoch = (await client.subscribe("Note:list")).epoch;
    client.ws.terminate();
    const acked = writers.acked.slice();
    const result = await runScript(file);
    const after = writers.acked.length;
    await writers.stop();
    assert.equal(result.code, 0, result.output);
    assert.equal(result.output, "", "nothing to say when all went well");

    const today = run("date +%F").trim();
    backup = join(BACKUPS, `myapp-${today}.db`);
    assert.deepEqual(readdirSync(BACKUPS).sort(), ["myapp-2000-01-02.db", `myapp-${today}.db`, "notes.txt"]);
    assertCopy(backup, acked);
    assert.ok(after > acked.length, "the server kept answering during the backup");
  });

  it("Restoring, step by step: the server comes back with the backup's rows and a new epoch", async () => {
    const restoring = DOC.slice(DOC.indexOf("### Restoring"), DOC.indexOf("\n## ", DOC.indexOf("### Restoring")));
    const steps = restoring.split(/\n(?=\d+\. )/).filter((s) => /^\d+\. /.test(s));
    assert.equal(steps.length, 6, restoring);
    const backupRows = rowsOf(backup);
    const liveRows = (await api(server.url, "GET", "/api/notes?take=1")).json.total;
    assert.ok(liveRows > backupRows.length, "writes after the backup, to be lost");

    const done = [];
    for (const step of steps) {
      const code = [...step.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\s*\n\s*/g, " "));
      for (const [i, span] of code.entries()) {
        if (span === "sudo systemctl stop myapp") {
          await server.stop();
          done.push("stop");
        } else if (span === "sudo systemctl start myapp") {
          server = await startServe(join(APP, "config.lua"), { args: ["--quiet"] });
          done.push("start");
        } else if (/^(sudo |sqlite3 |cd )/.test(span)) {
          const output = run(here(span).replace(/\bbackup\.db\b/g, `'${backup}'`));
          // "prints `ok`": a command followed by "prints" and a span is checked against it
          if (/^\s*prints\s*$/.test(step.split(`\`${span}\``)[1]?.split("`")[0] ?? "")) {
            assert.equal(output, `${code[i + 1]}\n`, span);
          }
          done.push(span.split(" ").find((w) => !["sudo", "-u", "myapp"].includes(w)));
        }
      }
    }
    assert.deepEqual(done, ["sqlite3", "sqlite3", "stop", "cd", "install", "start"], "the commands the steps give");

    assert.ok(existsSync(join(APP, "data/old/myapp.db")), "the live database moved aside");
    assert.equal(statSync(DB).mode & 0o777, 0o600);
    const served = (await api(server.url, "GET", `/api/notes?take=100&orderBy=${encodeURIComponent(JSON.stringify({ id: "asc" }))}`)).json;
    assert.equal(served.total, backupRows.length, "the data as of the backup");
    assert.deepEqual(served.items.map((n) => ({ id: n.id, text: n.text })), backupRows.slice(0, 100));

    // a client holding a position in the newer history is told it cannot recover
    const client = await Client.connect(server.url);
    const again = await client.ask({ type: "subscribe", channel: "Note:list", since: { epoch, offset: 1 } });
    client.ws.terminate();
    assert.equal(again.type, "subscribed", JSON.stringify(again));
    assert.notEqual(again.epoch, epoch);
    assert.equal(again.recovered, false);
    await server.stop();
  });
});
