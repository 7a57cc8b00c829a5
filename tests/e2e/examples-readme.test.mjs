// The examples' READMEs, run: for every examples/*/README.md with a "## Run it" section, the
// commands of its ```sh blocks in order, as a newcomer at the root of a fresh clone would type
// them — `ssot run`, `npx vite build`, `ssot serve` (in the background, on a free port), then
// the second terminal's `ssot token` (the development secret: no JWT secret is set) and curl.
// A README that drifts from the tool fails here. Uses doc-commands.mjs and helpers.mjs; needs
// node_modules (Vite, for the examples with a front end) and curl.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { commands, readerEnv, section, serveAsDocumented, sh } from "./doc-commands.mjs";
import { freePort, SOURCE_DIR, SSOT_BIN, source, tempDir } from "./helpers.mjs";

const HEADING = "Run it";
const EXAMPLES = readdirSync(source("examples"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(source(`examples/${entry.name}/README.md`)))
  .map((entry) => entry.name)
  .filter((name) => section(readFileSync(source(`examples/${name}/README.md`), "utf8"), HEADING) !== null)
  .sort();

// The setup every "Run it" starts from, exactly as the root README documents it. CI
// (scripts/test.sh) has done all three before this test runs, so they are checked, not run:
// install-deps.sh needs root and the network; building again would take minutes and test
// another binary than the one under test (SSOT_BIN, the sanitizer build's too); npm ci has
// filled node_modules, which the copy links to.
const SETUP = ["./scripts/install-deps.sh", "cmake -S . -B build && cmake --build build -j", "npm ci"];
const isSetup = (command) => /^(\.\/scripts\/install-deps\.sh|cmake|npm (ci|install))\b/.test(command);
const ROOT_README = readFileSync(source("README.md"), "utf8");

// What a clone of an example lacks: what the root .gitignore leaves out of every example
// (generated/, data/), installed packages, and a front end's build (web/dist/ keeps only its
// .gitignore in git).
const NOT_IN_A_CLONE = /^examples\/[^/]+\/(generated|data)$|\/node_modules$|\/web\/dist\/(?!\.gitignore$)/;

/** A directory laid out like a clone, for the example's commands: examples/name as a clone has
 * it, build/ssot the binary under test, node_modules, scripts/ and package.json of this tree. */
function fakeClone(name) {
  const root = tempDir(`readme-${name}`);
  cpSync(source(`examples/${name}`), join(root, "examples", name), {
    recursive: true,
    filter: (path) => !NOT_IN_A_CLONE.test(relative(SOURCE_DIR, path)),
  });
  mkdirSync(join(root, "build"));
  symlinkSync(resolve(SSOT_BIN), join(root, "build", "ssot"));
  for (const path of ["node_modules", "scripts"]) symlinkSync(source(path), join(root, path), "dir");
  for (const path of ["package.json", "package-lock.json"]) cpSync(source(path), join(root, path));
  return root;
}

/**
 * Runs one README's "Run it": each block's commands in order, consecutive ones other than the
 * setup and `ssot serve` as one bash script. Scripts share one shell's state, as a terminal would:
 * the variables a script sets (ADMIN=$(ssot token ...)) and its directory are kept for the next.
 * curl fails on an error status here (--fail-with-body), as a newcomer would see it fail.
 */
async function runReadme(name) {
  const file = `examples/${name}/README.md`;
  const root = fakeClone(name);
  const port = await freePort();
  const shell = tempDir(`readme-${name}-shell`);
  const state = join(shell, "state.sh");
  writeFileSync(state, "");
  // Each script's bash sources this first (BASH_ENV): the state the previous script left, and,
  // on a clean exit, this one's written for the next — the variables it set and its directory.
  // unset BASH_ENV: a bash the script starts keeps to itself.
  writeFileSync(join(shell, "terminal.sh"), `
__initial=" $(compgen -v | tr '\\n' ' ') "
unset BASH_ENV
source ${JSON.stringify(state)}
__keep() {
  [ "$1" = 0 ] || return 0
  for __v in $(compgen -v); do
    case "$__v" in __*|_|BASH*) continue ;; esac
    case "$__initial" in *" $__v "*) ;; *) declare -p "$__v" ;; esac
  done > ${JSON.stringify(state)}
  printf 'cd %q\\n' "$PWD" >> ${JSON.stringify(state)}
}
trap '__keep $?' EXIT
`);
  const env = { ...readerEnv(), BASH_ENV: join(shell, "terminal.sh") };
  const servers = [];
  const asTyped = (script) => script
    .replaceAll("localhost:8080", `localhost:${port}`)
    .replace(/(^|[\s;&|(])curl\s/gm, "$1curl --fail-with-body ");
  const run = (lines) => {
    if (lines.length > 0) sh(asTyped(lines.join("\n")), { cwd: root, env, timeout: 180000 });
  };
  try {
    const blocks = [...section(readFileSync(source(file), "utf8"), HEADING).matchAll(/```sh\n([\s\S]*?)```/g)];
    assert.ok(blocks.length > 0, `${file}: "## ${HEADING}" has no \`\`\`sh block`);
    for (const [, text] of blocks) {
      let pending = [];
      for (const command of commands(text)) {
        if (isSetup(command)) {
          assert.ok(SETUP.includes(command), `${file}: "${command}" is not the documented setup, one of:\n${SETUP.join("\n")}`);
          continue;
        }
        if (/^(\S*\/)?ssot serve\b/.test(command)) {
          run(pending);
          pending = [];
          servers.push(await serveAsDocumented(command, root, { port }));
          continue;
        }
        pending.push(command);
      }
      run(pending);
    }
  } catch (error) {
    const logs = servers.map((server) => `ssot serve said:\n${server.stdout()}${server.stderr()}`).join("\n");
    throw logs === "" ? error : new Error(`${error.message}\n${logs}`, { cause: error });
  } finally {
    for (const server of servers) await server.stop();
  }
}

describe("examples/*/README.md, Run it", () => {
  it("the setup commands they may name are the root README's", () => {
    const documented = [...ROOT_README.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => commands(m[1]));
    for (const command of SETUP) {
      assert.ok(documented.includes(command) || ROOT_README.includes(`\`${command}\``), `README.md documents "${command}"`);
    }
  });

  it("finds the examples to run: chat and inventory at least", () => {
    for (const name of ["chat", "inventory"]) assert.ok(EXAMPLES.includes(name), `examples/${name}/README.md has "## ${HEADING}"`);
  });

  for (const name of EXAMPLES) {
    it(`examples/${name}/README.md: its commands run as written`, { timeout: 240000 }, () => runReadme(name));
  }
});
