// Runs the shell commands that documentation shows, as a reader would type them: the fenced
// blocks of a Markdown section, their commands without the comments, a bash runner that fails
// with the output, and `ssot serve` started from such a command. Shared by getting-started and
// examples-readme; uses helpers.mjs (startServe).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { startServe } from "./helpers.mjs";

/** The text of the section of markdown whose heading starts with `## heading`, up to the next
 * `## `, or null when it has none. */
export function section(markdown, heading) {
  const start = markdown.indexOf(`\n## ${heading}`);
  if (start < 0) return null;
  const end = markdown.indexOf("\n## ", start + 4);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** The fenced blocks ({ lang, text }) of that section, in order; `file` names the document when
 * it has no such section. */
export function blocks(markdown, heading, file) {
  const text = section(markdown, heading);
  assert.ok(text !== null, `${file} has no section "${heading}"`);
  return [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
}

/** line without its comment: a # at the start or after a blank, outside quotes. */
function uncommented(line) {
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"') i++;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === "\\") {
      i++;
    } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** A block's commands without comments, one per line (continuations joined). */
export function commands(text) {
  return text
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((line) => uncommented(line).trim())
    .filter((line) => line !== "");
}

/** The environment a reader's shell has here: no JWT secret (development works without one, with
 * the development secret), no colour, and `path` first on PATH when given. */
export function readerEnv({ path } = {}) {
  const env = { ...process.env, NO_COLOR: "1" };
  delete env.SSOT_JWT_SECRET;
  if (path) env.PATH = `${path}:${process.env.PATH}`;
  return env;
}

/** Runs script with bash -euo pipefail in cwd; fails with the script and its output unless it
 * exits 0. Its stdin is /dev/null: Debian's bash reads /etc/bash.bashrc when stdin is a socket
 * (it takes that for rshd), and Node's pipes are sockets — where SHLVL is unset, as under
 * some CI runners, -u then fails on the bashrc's $PS1. */
export function sh(script, { cwd, env, timeout = 60000 }) {
  const result = spawnSync("bash", ["-euo", "pipefail", "-c", script], {
    cwd, env, encoding: "utf8", timeout, stdio: ["ignore", "pipe", "pipe"],
  });
  assert.equal(result.status, 0, `\n$ ${script}\n${result.stdout}${result.stderr}${result.error ? `\n${result.error}` : ""}`);
  return result;
}

/**
 * Starts `ssot serve` as a documented command (`ssot serve`, `./build/ssot serve x/config.lua
 * ...`) run in cwd would, without a JWT secret: its config is its first .lua argument (else
 * cwd/config.lua), its other arguments are kept. It listens on `port` (--port, overriding the
 * config's) when given, else on a port of the system's choosing on 127.0.0.1. Resolves once it
 * listens, to startServe's server (the caller stops it).
 */
export function serveAsDocumented(command, cwd, { port } = {}) {
  const words = command.split(/\s+/);
  const args = words.slice(words.indexOf("serve") + 1);
  const configArg = args.find((arg) => arg.endsWith(".lua"));
  const config = join(cwd, configArg ?? "config.lua");
  const rest = args.filter((arg) => arg !== configArg && arg !== "--config");
  const options = { env: { SSOT_JWT_SECRET: undefined }, args: rest };
  if (port !== undefined) Object.assign(options, { listen: false, args: [...rest, "--port", String(port)] });
  return startServe(config, options);
}
