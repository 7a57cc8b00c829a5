// Golden files: the SDK, hooks, OpenAPI and AsyncAPI documents generated from examples/chat must equal
// tests/golden/chat/** byte for byte. After an intended change to the templates or phases,
// refresh them with:  SSOT_UPDATE_GOLDEN=1 ctest -R node/golden   (or run this file with
// node --test and the same variable) and review the diff in git.
import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { it } from "node:test";
import { SOURCE_DIR, generate } from "./helpers.mjs";

const GOLDEN = join(SOURCE_DIR, "tests", "golden", "chat");
const PINNED = ["sdk", "react", "openapi.json", "asyncapi.json"];   // what this SDK's phases write

function files(root) {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else out.push(relative(root, join(dir, e.name)));
    }
  };
  for (const top of PINNED) {
    const path = join(root, top);
    if (!existsSync(path)) continue;
    if (top.includes(".")) out.push(top);
    else walk(path);
  }
  return out.sort();
}

it("examples/chat generates exactly tests/golden/chat", () => {
  const { out } = generate("examples/chat/config.lua", "golden");
  if (process.env.SSOT_UPDATE_GOLDEN === "1") {
    rmSync(GOLDEN, { recursive: true, force: true });
    for (const top of PINNED) cpSync(join(out, top), join(GOLDEN, top), { recursive: true });
    return;
  }
  const hint = "if the change is intended, refresh with SSOT_UPDATE_GOLDEN=1 (see tests/node/golden.test.mjs) and review the diff";
  assert.deepEqual(files(out), files(GOLDEN), `the set of generated files changed; ${hint}`);
  for (const file of files(GOLDEN)) {
    const got = readFileSync(join(out, file), "utf8");
    const want = readFileSync(join(GOLDEN, file), "utf8");
    if (got !== want) {
      const a = got.split("\n");
      const b = want.split("\n");
      let line = 0;
      while (line < a.length && a[line] === b[line]) line++;
      assert.fail(`${file} differs from the golden file at line ${line + 1}:\n` +
        `  generated: ${JSON.stringify(a[line])}\n  golden:    ${JSON.stringify(b[line])}\n${hint}`);
    }
  }
});
