// The chat example's front end (examples/chat/web) in a real browser: Debian's chromium, headless,
// driven by playwright-core. A temporary copy of examples/chat is generated (`ssot run`),
// type-checked (tsc), built with Vite's build() and served by `ssot serve` (serve.static). Two
// pages signed in as different users see a room and a message made on the other page without a
// reload, the typing indicator and presence, and recover after the server restarts on the same
// port and database. Screenshots go to $SSOT_ARTIFACTS_DIR/chat-browser (default: test-artifacts/
// beside the ssot binary, i.e. the build directory). Skips, saying so, without chromium.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { api, freePort, mint, SOURCE_DIR, SSOT_BIN, source, startServe, tempDir } from "./helpers.mjs";

const CHROMIUM = process.env.SSOT_CHROMIUM ?? "/usr/bin/chromium";
const skip = existsSync(CHROMIUM)
  ? false
  : `chromium is not installed at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or point SSOT_CHROMIUM at one)`;
const ARTIFACTS = join(resolve(process.env.SSOT_ARTIFACTS_DIR ?? join(dirname(SSOT_BIN), "test-artifacts")), "chat-browser");
const WAIT_MS = 20000;

/** Runs a command, failing with its output unless it exits 0. */
function run(command, args) {
  const result = spawnSync(command, args, { encoding: "utf8" });
  assert.equal(result.status, 0, `${command} ${args.join(" ")}:\n${result.stdout}${result.stderr}`);
}

/** Waits until the text of the element with data-testid `id` on page satisfies `test` (a string: equals it). */
async function waitForText(page, id, test, what) {
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

describe("the chat front end in chromium", { skip }, () => {
  let work, chat, port, server, browser;
  const pages = {};
  const pageErrors = [];
  const serveArgs = () => ({ listen: false, db: join(work, "chat.db"), args: ["--port", String(port), "--host", "127.0.0.1"] });
  const shoot = (name, page) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

  before(async () => {
    // examples/chat laid out again in a temporary directory that sees the repo's node_modules:
    // config.lua, web/ (without a build), generated/ from `ssot run`, web/dist from Vite.
    work = tempDir("chat-browser");
    writeFileSync(join(work, "package.json"), JSON.stringify({ type: "module", private: true }));
    symlinkSync(join(SOURCE_DIR, "node_modules"), join(work, "node_modules"), "dir");
    chat = join(work, "chat");
    mkdirSync(chat);
    cpSync(source("examples/chat/config.lua"), join(chat, "config.lua"));
    const dist = source("examples/chat/web/dist");
    cpSync(source("examples/chat/web"), join(chat, "web"), { recursive: true, filter: (path) => path !== dist });
    run(SSOT_BIN, ["run", join(chat, "config.lua"), "--quiet"]);
    run(process.execPath, [join(SOURCE_DIR, "node_modules", "typescript", "bin", "tsc"), "-p", join(chat, "web"), "--pretty", "false"]);
    const { build } = await import("vite");
    await build({ configFile: join(chat, "web", "vite.config.ts"), logLevel: "warn" });
    assert.ok(existsSync(join(chat, "web", "dist", "index.html")), "vite wrote web/dist/index.html");

    port = await freePort();
    server = await startServe(join(chat, "config.lua"), serveArgs());
    const admin = mint(1, { role: "admin" });
    for (const [name, email] of [["Admin", "admin@chat.test"], ["Ada", "ada@chat.test"], ["Bob", "bob@chat.test"]]) {
      assert.equal((await api(server.url, "POST", "/api/users", { token: admin, body: { name, email } })).status, 201);
    }

    mkdirSync(ARTIFACTS, { recursive: true });
    console.log(`screenshots: ${ARTIFACTS}`);
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    // Users 2 and 3 (Ada and Bob), each in a browser context of its own (its own localStorage).
    for (const [name, sub] of [["ada", 2], ["bob", 3]]) {
      const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      page.on("pageerror", (error) => pageErrors.push(`${name}: ${error.stack ?? error.message}`));
      await page.goto(`${server.url}/?token=${mint(sub)}`);
      pages[name] = page;
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("signs each page in as its user, from ?token=, and connects the WebSocket", async () => {
    const { ada, bob } = pages;
    await waitForText(ada, "me", "Ada", "Ada's page");
    await waitForText(bob, "me", "Bob", "Bob's page");
    for (const page of [ada, bob]) {
      await waitForText(page, "connection", "open", "the connection badge");
      // Marks the document: a reload would lose it.
      await page.evaluate(() => Object.assign(window, { sameDocument: true }));
      assert.equal(await page.evaluate(() => localStorage.getItem("ssot-chat.token")) !== null, true, "the token is kept");
    }
    await shoot("01-ada-signed-in", ada);
  });

  it("a room created on one page appears on the other, and presence shows both users in it", async () => {
    const { ada, bob } = pages;
    await ada.getByLabel("New room").fill("General");
    await ada.getByRole("button", { name: "Create" }).click();
    await ada.waitForURL(/\/rooms\/1\?token=/);
    await waitForText(ada, "presence", "Here: Ada", "Ada alone in the room");
    await bob.getByRole("link", { name: "General" }).click(); // it appeared without a reload
    await waitForText(bob, "presence", "Here: Ada, Bob", "both in the room, on Bob's page");
    await waitForText(ada, "presence", "Here: Ada, Bob", "both in the room, on Ada's page");
    // An address inside the app is served index.html (serve.static's single-page-app fallback);
    // a second tab of Bob's, without ?token=, signs in with the token kept in localStorage.
    const tab = await bob.context().newPage();
    await tab.goto(`${server.url}/rooms/1`);
    await waitForText(tab, "me", "Bob", "a second tab of Bob's");
    await tab.getByRole("heading", { name: "General" }).waitFor();
    await tab.close();
  });

  it("typing on one page shows on the other; a message sent appears there without a reload", async () => {
    const { ada, bob } = pages;
    await ada.getByLabel("Message").pressSequentially("hello ");
    await waitForText(bob, "typing", "Ada is typing…", "the typing indicator on Bob's page");
    await shoot("02-bob-sees-ada-typing", bob);
    await ada.getByLabel("Message").pressSequentially("from Ada");
    await ada.getByRole("button", { name: "Send" }).click();
    await bob.getByTestId("messages").getByText("hello from Ada").waitFor();
    await waitForText(bob, "typing", "", "the typing indicator after the message");
    await bob.getByLabel("Message").fill("hi Ada, Bob here");
    await bob.getByLabel("Message").press("Enter");
    await ada.getByTestId("messages").getByText("hi Ada, Bob here").waitFor();
    assert.equal(await ada.getByLabel("Message").inputValue(), "", "the composer was cleared");
    for (const page of [ada, bob]) assert.equal(await page.evaluate(() => "sameDocument" in window), true, "no reload");
    await shoot("03-ada-conversation", ada);
    await shoot("04-bob-conversation", bob);
  });

  it("recovers after the server restarts: the badge follows, presence returns, new messages arrive live", async () => {
    const { ada, bob } = pages;
    await server.stop();
    server = undefined;
    for (const page of [ada, bob]) await waitForText(page, "connection", ["connecting", "reconnecting"], "while the server is down");
    await shoot("05-ada-server-down", ada);
    server = await startServe(join(chat, "config.lua"), serveArgs());
    for (const page of [ada, bob]) {
      await waitForText(page, "connection", "open", "after the restart");
      await waitForText(page, "presence", "Here: Ada, Bob", "presence after the restart");
    }
    await bob.getByLabel("Message").fill("back after the restart");
    await bob.getByRole("button", { name: "Send" }).click();
    await ada.getByTestId("messages").getByText("back after the restart").waitFor();
    // A write from elsewhere (REST) reaches both pages too.
    const made = await api(server.url, "POST", "/api/messages", { token: mint(1, { role: "admin" }), body: { roomId: 1, text: "admin says hi" } });
    assert.equal(made.status, 201, made.text);
    for (const page of [ada, bob]) {
      await page.getByTestId("messages").getByText("admin says hi").waitFor();
      assert.equal(await page.getByTestId("messages").locator("li").count(), 4);
      assert.equal(await page.evaluate(() => "sameDocument" in window), true, "no reload");
    }
    await shoot("06-ada-after-restart", ada);
    await shoot("07-bob-after-restart", bob);
    assert.deepEqual(pageErrors, [], "no uncaught errors on the pages");
  });
});
