// The development secret: `ssot serve` without the secret's environment variable makes
// .ssot-secret beside the database (mode 0600) and says so, reuses it on the next start, and
// `ssot token` in another shell signs with it, so its tokens are accepted; a file others can
// read, an empty one or a symlink is refused with the fix; production (--production, SSOT_ENV,
// NODE_ENV) never makes nor reads it; with the variable set the file is neither made nor read.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { SECRET, SSOT_BIN, api, assertError, forge, now, serveFails, startServe, tempDir } from "./helpers.mjs";

const CONFIG = `
name = "vault"
models = {
  Note = {
    owner = "ownerId",
    fields = { { "id", "id" }, { "text", "string" }, { "ownerId", "string" } },
    permissions = { list = "authenticated", get = "isOwner", create = "authenticated", update = "isOwner", delete = "isOwner" },
  },
}
`;

// no secret and no say about production, whatever the shell running the tests has
const NO_SECRET = { SSOT_JWT_SECRET: undefined, EVERYTHING_JWT_SECRET: undefined, SSOT_ENV: undefined, NODE_ENV: undefined };

function project(prefix, config = CONFIG) {
  const dir = tempDir(prefix);
  writeFileSync(`${dir}/config.lua`, config);
  return { dir, config: `${dir}/config.lua`, secretFile: `${dir}/data/.ssot-secret` };
}

/** `ssot token --sub ID ...args` in cwd with env added to the test's environment less the secret. */
function token(args, { cwd, env = {} } = {}) {
  const result = spawnSync(SSOT_BIN, ["token", ...args], { encoding: "utf8", cwd, env: { ...process.env, ...NO_SECRET, ...env } });
  return { code: result.status, token: result.stdout.trim(), stderr: result.stderr };
}

const mode = (path) => statSync(path).mode & 0o777;

async function assertAccepted(url, jwt) {
  const created = await api(url, "POST", "/api/notes", { body: { text: "hello" }, token: jwt });
  assert.equal(created.status, 201, created.text);
  const listed = await api(url, "GET", "/api/notes", { token: jwt });
  assert.equal(listed.status, 200, listed.text);
}

describe("development: no secret in the environment", () => {
  const { dir, config, secretFile } = project("secret-dev");
  let firstSecret;
  let firstToken;

  it("serve makes .ssot-secret beside the database, mode 0600, and says so in one line", async () => {
    const server = await startServe(config, { env: NO_SECRET });
    assert.ok(existsSync(secretFile), "data/.ssot-secret next to data/vault.db");
    assert.equal(mode(secretFile), 0o600);
    firstSecret = readFileSync(secretFile, "utf8");
    assert.match(firstSecret, /^[0-9a-f]{64}\n$/, "32 random bytes in hex");
    const lines = server.stdout().split("\n").filter((line) => line.includes(".ssot-secret"));
    assert.equal(lines.length, 1, server.stdout());
    assert.match(lines[0], /SSOT_JWT_SECRET is not set/);
    assert.ok(lines[0].includes(`made now in ${secretFile}`), lines[0]);
    assert.match(lines[0], /in production set SSOT_JWT_SECRET and pass --production/);
    assert.doesNotMatch(server.stderr(), /warning|error/, "development without a secret is not a fault");

    // without a token the protected route refuses; ssot token --config, in another "shell", signs with the file
    assertError(await api(server.url, "GET", "/api/notes"), 401, "unauthorized");
    const minted = token(["--sub", "ann", "--config", config]);
    assert.equal(minted.code, 0, minted.stderr);
    assert.ok(minted.stderr.includes(`signed with the development secret in ${secretFile}`), minted.stderr);
    await assertAccepted(server.url, minted.token);
    firstToken = minted.token;

    // without --config, from the project's directory: ./config.lua, as ssot serve takes it
    const here = token(["--sub", "bob"], { cwd: dir });
    assert.equal(here.code, 0, here.stderr);
    assert.match(here.stderr, /signed with the development secret/);
    await assertAccepted(server.url, here.token);

    // a token signed with another secret is still refused
    assertError(await api(server.url, "GET", "/api/notes", { token: forge({ sub: "eve", exp: now() + 60 }) }), 401,
      "unauthorized");
    await server.stop();
  });

  it("a second start reuses the file: same secret, earlier tokens still valid", async () => {
    const server = await startServe(config, { env: NO_SECRET });
    assert.equal(readFileSync(secretFile, "utf8"), firstSecret);
    assert.ok(server.stdout().includes(`signed with the development secret in ${secretFile}`), server.stdout());
    assert.doesNotMatch(server.stdout(), /made now/);
    assert.equal((await api(server.url, "GET", "/api/notes", { token: firstToken })).status, 200);
    await server.stop();
  });

  it("with --db the file goes beside that database, and ssot token --db finds it", async () => {
    const db = `${dir}/elsewhere/notes.db`;
    mkdirSync(`${dir}/elsewhere`);
    const server = await startServe(config, { db, env: NO_SECRET });
    assert.equal(mode(`${dir}/elsewhere/.ssot-secret`), 0o600);
    const wrong = token(["--sub", "ann", "--config", config]); // data/.ssot-secret: another secret
    assert.equal(wrong.code, 0, wrong.stderr);
    assertError(await api(server.url, "GET", "/api/notes", { token: wrong.token }), 401, "unauthorized");
    const right = token(["--sub", "ann", "--config", config, "--db", db]);
    assert.equal(right.code, 0, right.stderr);
    await assertAccepted(server.url, right.token);
    const dbOnly = token(["--sub", "ann", "--db", db], { cwd: "/" });
    assert.equal(dbOnly.code, 0, dbOnly.stderr);
    await assertAccepted(server.url, dbOnly.token);
    await server.stop();
  });

  it("ssot token before any server ran says where it looked and what to do", () => {
    const fresh = project("secret-fresh");
    const result = token(["--sub", "ann", "--config", fresh.config]);
    assert.equal(result.code, 2);
    assert.ok(result.stderr.includes(`no development secret in ${fresh.secretFile} yet`), result.stderr);
    assert.match(result.stderr, /ssot serve/);
    assert.match(result.stderr, /export SSOT_JWT_SECRET=/);
    const nowhere = token(["--sub", "ann"], { cwd: "/" });
    assert.equal(nowhere.code, 2);
    assert.match(nowhere.stderr, /SSOT_JWT_SECRET is not set/);
    assert.match(nowhere.stderr, /--config FILE/);
  });

  it("the variable auth.secretEnv names is the one the messages name", async () => {
    const other = project("secret-named", `${CONFIG}\nauth = { secretEnv = "VAULT_SECRET" }\n`);
    const server = await startServe(other.config, { env: { ...NO_SECRET, VAULT_SECRET: undefined } });
    assert.match(server.stdout(), /VAULT_SECRET is not set, so tokens are signed with the development secret/);
    const minted = token(["--sub", "ann", "--config", other.config], { env: { VAULT_SECRET: undefined } });
    assert.equal(minted.code, 0, minted.stderr);
    assert.match(minted.stderr, /VAULT_SECRET is not set/);
    await assertAccepted(server.url, minted.token);
    await server.stop();
  });
});

describe("a secret file that is not fit to use is refused", () => {
  it("readable or writable by others: refused by serve and token, naming chmod 600", async () => {
    const { config, secretFile } = project("secret-mode");
    const server = await startServe(config, { env: NO_SECRET });
    await server.stop();
    for (const wide of [0o644, 0o640, 0o606, 0o620]) {
      chmodSync(secretFile, wide);
      const result = serveFails(config, { env: NO_SECRET });
      assert.equal(result.code, 1, result.stderr);
      assert.doesNotMatch(result.stdout, /listening/);
      assert.ok(result.stderr.includes(`run \`chmod 600 ${secretFile}\``), result.stderr);
      assert.ok(result.stderr.includes(`(mode 0${wide.toString(8)})`), result.stderr);
      const minted = token(["--sub", "ann", "--config", config]);
      assert.equal(minted.code, 1);
      assert.equal(minted.token, "");
      assert.ok(minted.stderr.includes(`chmod 600 ${secretFile}`), minted.stderr);
    }
    chmodSync(secretFile, 0o600);
    await (await startServe(config, { env: NO_SECRET })).stop();
    chmodSync(secretFile, 0o400); // narrower is fine
    await (await startServe(config, { env: NO_SECRET })).stop();
  });

  it("empty, a symlink, or a directory: refused with what to do; a hand-written one with a newline works", async () => {
    const { dir, config, secretFile } = project("secret-shape");
    mkdirSync(`${dir}/data`);
    writeFileSync(secretFile, "\n", { mode: 0o600 });
    let result = serveFails(config, { env: NO_SECRET });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is empty: remove it, and `ssot serve` makes a new one/);

    const own = "a-hand-written-development-secret-0123456789";
    writeFileSync(`${dir}/target`, own, { mode: 0o600 });
    rmSync(secretFile, { recursive: true });
    symlinkSync(`${dir}/target`, secretFile);
    result = serveFails(config, { env: NO_SECRET });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is a symbolic link/);

    rmSync(secretFile, { recursive: true });
    mkdirSync(secretFile);
    result = serveFails(config, { env: NO_SECRET });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is not a regular file/);

    rmSync(secretFile, { recursive: true });
    writeFileSync(secretFile, `${own}\r\n`, { mode: 0o600 });
    const server = await startServe(config, { env: NO_SECRET });
    // the trailing CR LF is not part of the secret, for the server and for ssot token alike
    await assertAccepted(server.url, forge({ sub: "ann", exp: now() + 60 }, { secret: own }));
    const minted = token(["--sub", "ann", "--config", config]);
    assert.equal(minted.code, 0, minted.stderr);
    await assertAccepted(server.url, minted.token);
    await server.stop();
  });
});

describe("production never makes nor reads the development secret", () => {
  it("--production, SSOT_ENV=production or NODE_ENV=production without the variable: refused, nothing written", () => {
    const { dir, config, secretFile } = project("secret-prod");
    for (const [args, env, why] of [
      [["--production"], {}, "--production"],
      [[], { SSOT_ENV: "production" }, "SSOT_ENV=production"],
      [[], { NODE_ENV: "production" }, "NODE_ENV=production"],
    ]) {
      const result = serveFails(config, { args, env: { ...NO_SECRET, ...env } });
      assert.equal(result.code, 1, result.stderr);
      assert.doesNotMatch(result.stdout, /listening/);
      assert.ok(result.stderr.includes(`SSOT_JWT_SECRET is not set, and a production server (${why})`), result.stderr);
      assert.match(result.stderr, /export SSOT_JWT_SECRET=/);
      assert.ok(!existsSync(secretFile), "no development secret made");
      assert.ok(!existsSync(`${dir}/data`), "the database is not touched either");
    }
  });

  it("an existing development secret is not read in production; ssot token refuses it too", async () => {
    const { config, secretFile } = project("secret-prod-file");
    await (await startServe(config, { env: NO_SECRET })).stop();
    assert.ok(existsSync(secretFile));
    const result = serveFails(config, { args: ["--production"], env: NO_SECRET });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /never makes or reads a development secret/);
    const minted = token(["--sub", "ann", "--config", config], { env: { SSOT_ENV: "production" } });
    assert.equal(minted.code, 2);
    assert.equal(minted.token, "");
    assert.match(minted.stderr, /SSOT_ENV=production rules out the development secret/);
    // with the variable, production works for both
    const server = await startServe(config, { args: ["--production"], env: { SSOT_ENV: "production" } });
    assert.doesNotMatch(server.stdout(), /development secret/);
    const signed = token(["--sub", "ann", "--config", config], { env: { SSOT_ENV: "production", SSOT_JWT_SECRET: SECRET } });
    assert.equal(signed.code, 0, signed.stderr);
    assert.equal(signed.stderr, "");
    await assertAccepted(server.url, signed.token);
    await server.stop();
  });

  it("SSOT_ENV=development overrides NODE_ENV=production; another SSOT_ENV is a usage error", async () => {
    const { config, secretFile } = project("secret-env");
    const server = await startServe(config, { env: { ...NO_SECRET, SSOT_ENV: "development", NODE_ENV: "production" } });
    assert.ok(existsSync(secretFile));
    await server.stop();
    const result = serveFails(config, { env: { SSOT_ENV: "prod" } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /SSOT_ENV is 'prod': set it to production or development, or unset it/);
    const minted = token(["--sub", "ann", "--config", config], { env: { SSOT_ENV: "prod" } });
    assert.equal(minted.code, 2);
    assert.match(minted.stderr, /SSOT_ENV is 'prod'/);
  });
});

describe("with the variable set", () => {
  it("the development secret file is neither made nor read", async () => {
    const { dir, config, secretFile } = project("secret-env-set");
    const server = await startServe(config, { env: { SSOT_ENV: undefined, NODE_ENV: undefined } });
    assert.ok(!existsSync(secretFile), "not made");
    assert.doesNotMatch(server.stdout(), /development secret/);
    await server.stop();
    // a file that would be refused is not even looked at
    writeFileSync(secretFile, "not-this-one-0123456789abcdef0123456789", { mode: 0o644 });
    chmodSync(secretFile, 0o644);
    const again = await startServe(config, { env: { SSOT_ENV: undefined, NODE_ENV: undefined } });
    const minted = token(["--sub", "ann"], { cwd: dir, env: { SSOT_JWT_SECRET: SECRET } });
    assert.equal(minted.code, 0, minted.stderr);
    assert.equal(minted.stderr, "", "the environment is the normal source: nothing to say");
    await assertAccepted(again.url, minted.token);
    await again.stop();
  });
});
