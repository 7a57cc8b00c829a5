// docs/getting-started.md, run: its code blocks, in order, in fresh directories, with the
// ssot under test first on PATH — `ssot init` and the project it writes, the config of
// "2. Declare the models" generated and served, the token and curl of "4. Serve" in a second
// shell, the SDK snippet of "5. Use the SDK" type-checked. A doc that drifts from the tool
// fails here. Runs the commands with doc-commands.mjs; needs node_modules (tsc) and curl.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { blocks as blocksOf, commands, readerEnv, serveAsDocumented as serveOn, sh as shell } from "./doc-commands.mjs";
import { SSOT_BIN, SOURCE_DIR, tempDir } from "./helpers.mjs";

const DOC = readFileSync(join(SOURCE_DIR, "docs/getting-started.md"), "utf8");

/** The fenced blocks (language, text) under the heading that starts with `heading`. */
const blocks = (heading) => blocksOf(DOC, heading, "docs/getting-started.md");

// A shell whose `ssot` is the binary under test, and whose environment has no JWT secret
// (the doc's point: development works without one).
const binDir = tempDir("gs-bin");
symlinkSync(resolve(SSOT_BIN), join(binDir, "ssot"));
const env = readerEnv({ path: binDir });
const sh = (script, cwd) => shell(script, { cwd, env });

const servers = [];
after(async () => {
  for (const server of servers) await server.stop();
});

/** Starts `ssot serve` as a command of the doc does, on a free port instead of the config's. */
async function serveAsDocumented(command, cwd) {
  const server = await serveOn(command, cwd);
  servers.push(server);
  return server;
}

describe("docs/getting-started.md", () => {
  it("Start a project: ssot init, then its next commands", async () => {
    const dir = tempDir("gs-init");
    const [block] = blocks("Start a project");
    const lines = commands(block.text);
    assert.match(lines[0], /^ssot init (\S+)$/);
    sh(lines[0], dir); // no terminal: the defaults, no questions
    const project = join(dir, lines[0].split(/\s+/)[2]);
    assert.equal(lines[1], `cd ${lines[0].split(/\s+/)[2]}`);
    assert.equal(lines[2], "ssot run");
    sh(lines[2], project);
    assert.ok(existsSync(join(project, "generated/sdk/index.ts")));
    assert.ok(existsSync(join(project, "generated/asyncapi.json")), "the chat preset has websockets");
    assert.match(lines[3], /^ssot serve$/);
    const server = await serveAsDocumented(lines[3], project);
    // The second terminal: a token from the development secret, and the URL serve printed.
    const [, second] = blocks("Start a project");
    const port = new URL(server.url).port;
    const curl = commands(second.text)[0].replace(/^curl /, "curl -sS -f ").replaceAll("localhost:8080", `127.0.0.1:${port}`);
    assert.match(curl, new RegExp(block.text.match(/http:\/\/localhost:8080(\/\S*)/)[1]), "the URL ssot serve's line shows");
    assert.equal(JSON.parse(sh(curl, project).stdout).total, 0);
    // The project's own tsconfig type-checks what was generated, as the doc says.
    symlinkSync(join(SOURCE_DIR, "node_modules"), join(project, "node_modules"), "dir");
    const check = spawnSync(process.execPath, [join(SOURCE_DIR, "node_modules/typescript/bin/tsc"), "-p", project],
      { encoding: "utf8" });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  });

  it("2–4: the config generates, serves, and the second terminal's token and curl work", async () => {
    const dir = tempDir("gs-steps");
    const config = blocks("2. Declare the models").find((b) => b.lang === "lua");
    writeFileSync(join(dir, "config.lua"), config.text);
    const [generate, printed] = blocks("3. Generate");
    let output = "";
    for (const command of commands(generate.text)) output += sh(command, dir).stdout;
    for (const phase of printed.text.match(/^ {2}\S+/gm) ?? []) {
      assert.match(output, new RegExp(`^${phase}\\s`, "m"), `the phase${phase} the doc shows ran`);
    }
    for (const listed of DOC.matchAll(/^- `generated\/([^`]+)`/gm)) {
      if (listed[1] === "asyncapi.json") continue; // written only with websockets, as the doc says
      assert.ok(existsSync(join(dir, "generated", listed[1])), `generated/${listed[1]} as listed`);
    }
    const [serve, second] = blocks("4. Serve");
    const server = await serveAsDocumented(commands(serve.text)[0], dir);
    assert.ok(existsSync(join(dir, "data/.ssot-secret")), "the development secret the doc names");
    const port = new URL(server.url).port;
    const script = commands(second.text).join("\n").replaceAll("localhost:8080", `127.0.0.1:${port}`);
    const result = sh(`${script.replace(/^curl /m, "curl -sS -f ")}`, dir);
    const task = JSON.parse(result.stdout);
    assert.equal(task.title, "Write the docs");
    assert.equal(task.ownerId, "alice", "ownerId filled from the token, as the doc says");
  });

  it("5: the SDK snippet type-checks against the generated SDK", () => {
    const dir = tempDir("gs-sdk");
    const config = blocks("2. Declare the models").find((b) => b.lang === "lua");
    writeFileSync(join(dir, "config.lua"), config.text);
    sh("ssot run config.lua --quiet", dir);
    const [snippet] = blocks("5. Use the SDK").filter((b) => b.lang === "ts");
    mkdirSync(join(dir, "usage"));
    writeFileSync(join(dir, "usage", "snippet.ts"),
      `declare function getToken(): string;\n${snippet.text.replaceAll("./generated/", "../generated/")}\nexport {};\n`);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    symlinkSync(join(SOURCE_DIR, "node_modules"), join(dir, "node_modules"), "dir");
    // Strict, but a snippet may leave its results unused.
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      extends: join(SOURCE_DIR, "tests/node/tsconfig.strict.json"),
      compilerOptions: { noEmit: true, noUnusedLocals: false },
      include: ["generated/**/*.ts", "usage/**/*.ts"],
    }));
    const check = spawnSync(process.execPath, [join(SOURCE_DIR, "node_modules/typescript/bin/tsc"), "-p", dir],
      { encoding: "utf8" });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  });
});
