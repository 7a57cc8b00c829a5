// Shared by the browser tests of the examples' front ends (tests/e2e/*-browser.test.mjs): Debian's
// chromium driven by playwright-core, an example laid out again in a temporary directory and
// built as its README says (ssot run, tsc, Vite), and waiting for a data-testid's text. Uses
// helpers.mjs; the tests skip, saying so, without chromium.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { SOURCE_DIR, SSOT_BIN, source, tempDir } from "./helpers.mjs";

export const CHROMIUM = process.env.SSOT_CHROMIUM ?? "/usr/bin/chromium";
/** describe()'s skip option: false, or why there is no browser. */
export const skipWithoutChromium = existsSync(CHROMIUM)
  ? false
  : `chromium is not installed at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or point SSOT_CHROMIUM at one)`;
/** How long a page may take to show what a test waits for. */
export const WAIT_MS = 20000;

/** Where a test's screenshots go: $SSOT_ARTIFACTS_DIR/name (default: test-artifacts/ beside the
 * ssot binary, i.e. the build directory), made and announced. */
export function artifactsDir(name) {
  const dir = join(resolve(process.env.SSOT_ARTIFACTS_DIR ?? join(dirname(SSOT_BIN), "test-artifacts")), name);
  mkdirSync(dir, { recursive: true });
  console.log(`screenshots: ${dir}`);
  return dir;
}

/** Headless chromium; the caller closes it. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** Runs a command, failing with its output unless it exits 0. */
function run(command, args) {
  const result = spawnSync(command, args, { encoding: "utf8" });
  assert.equal(result.status, 0, `${command} ${args.join(" ")}:\n${result.stdout}${result.stderr}`);
}

/**
 * examples/<name> laid out again in a temporary directory that sees the repo's node_modules:
 * config.lua, web/ (without a build), generated/ from `ssot run`, type-checked with tsc, and
 * web/dist from Vite's build(). Resolves to the example's directory there.
 */
export async function buildExample(name) {
  const work = tempDir(`${name}-browser`);
  writeFileSync(join(work, "package.json"), JSON.stringify({ type: "module", private: true }));
  symlinkSync(join(SOURCE_DIR, "node_modules"), join(work, "node_modules"), "dir");
  const dir = join(work, name);
  mkdirSync(dir);
  cpSync(source(`examples/${name}/config.lua`), join(dir, "config.lua"));
  const dist = source(`examples/${name}/web/dist`);
  cpSync(source(`examples/${name}/web`), join(dir, "web"), { recursive: true, filter: (path) => path !== dist });
  run(SSOT_BIN, ["run", join(dir, "config.lua"), "--quiet"]);
  run(process.execPath, [join(SOURCE_DIR, "node_modules", "typescript", "bin", "tsc"), "-p", join(dir, "web"), "--pretty", "false"]);
  const { build } = await import("vite");
  await build({ configFile: join(dir, "web", "vite.config.ts"), logLevel: "warn" });
  assert.ok(existsSync(join(dir, "web", "dist", "index.html")), "vite wrote web/dist/index.html");
  return dir;
}

/** Waits until the text of the element with data-testid `id` on page satisfies `test` (a string:
 * equals it; a list: equals one of them); fails saying what it is instead. */
export async function waitForText(page, id, test, what) {
  const expected = typeof test === "string" ? [test] : test;
  try {
    await page.waitForFunction(
      ([testId, wanted]) => {
        const text = document.querySelector(`[data-testid="${testId}"]`)?.textContent ?? null;
        return text !== null && wanted.includes(text);
      },
      [id, expected],
      { timeout: WAIT_MS },
    );
  } catch (error) {
    const now = await page.getByTestId(id).textContent({ timeout: 1000 }).catch(() => "(no such element)");
    throw new Error(`${what}: ${id} is ${JSON.stringify(now)}, not ${expected.map((e) => JSON.stringify(e)).join(" or ")}`, {
      cause: error,
    });
  }
}

/** Waits until the value of the input or textarea `locator` finds equals `expected` (a form is
 * cleared by the server's answer, which may come after what the test saw last); fails saying
 * what it is instead. */
export async function waitForValue(locator, expected, what) {
  try {
    const element = await locator.elementHandle();
    await locator.page().waitForFunction(([input, wanted]) => input.value === wanted, [element, expected], { timeout: WAIT_MS });
  } catch (error) {
    const now = await locator.inputValue({ timeout: 1000 }).catch(() => "(no such element)");
    throw new Error(`${what}: the value is ${JSON.stringify(now)}, not ${JSON.stringify(expected)}`, { cause: error });
  }
}
