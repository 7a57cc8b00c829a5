// The chat example's front end (examples/chat/web) in a real browser: Debian's chromium, headless,
// driven by playwright-core (browser.mjs). A temporary copy of examples/chat is generated (`ssot run`),
// type-checked (tsc), built with Vite's build() and served by `ssot serve` (serve.static). Two
// pages signed in as different users see a room and a message made on the other page without a
// reload, the typing indicator and presence, and recover after the server restarts on the same
// port and database; a private room sends nothing at all to a user outside it (every WebSocket
// frame that user's page receives is checked) until its creator adds them, when it appears on
// their page without a reload — and leaves it again when they are taken out. Screenshots go to $SSOT_ARTIFACTS_DIR/chat-browser (default: test-artifacts/
// beside the ssot binary, i.e. the build directory). Skips, saying so, without chromium.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { artifactsDir, buildExample, launchChromium, skipWithoutChromium as skip, WAIT_MS, waitForText, waitForValue } from "./browser.mjs";
import { api, freePort, mint, startServe } from "./helpers.mjs";

describe("the chat front end in chromium", { skip }, () => {
  let chat, artifacts, port, server, browser;
  const pages = {};
  const pageErrors = [];
  /** Every WebSocket frame each page received, as text. */
  const frames = { ada: [], bob: [] };
  const serveArgs = () => ({ listen: false, db: join(chat, "..", "chat.db"), args: ["--port", String(port), "--host", "127.0.0.1"] });
  const shoot = (name, page) => page.screenshot({ path: join(artifacts, `${name}.png`) });

  before(async () => {
    chat = await buildExample("chat");
    port = await freePort();
    server = await startServe(join(chat, "config.lua"), serveArgs());
    const admin = mint(1, { role: "admin" });
    for (const [name, email] of [["Admin", "admin@chat.test"], ["Ada", "ada@chat.test"], ["Bob", "bob@chat.test"]]) {
      assert.equal((await api(server.url, "POST", "/api/users", { token: admin, body: { name, email } })).status, 201);
    }

    artifacts = artifactsDir("chat-browser");
    browser = await launchChromium();
    // Users 2 and 3 (Ada and Bob), each in a browser context of its own (its own localStorage).
    for (const [name, sub] of [["ada", 2], ["bob", 3]]) {
      const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      page.on("pageerror", (error) => pageErrors.push(`${name}: ${error.stack ?? error.message}`));
      page.on("websocket", (socket) => socket.on("framereceived", ({ payload }) => frames[name].push(String(payload))));
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
    await waitForValue(ada.getByLabel("Message"), "", "the composer after sending");
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

  it("a private room reaches nobody outside it, appears on a page once its user is added, goes when they are taken out", async () => {
    const { ada, bob } = pages;
    await ada.getByLabel("New room").fill("Secret plans");
    await ada.getByLabel("private", { exact: true }).check();
    await ada.getByRole("button", { name: "Create" }).click();
    await ada.waitForURL(/\/rooms\/2(\?|$)/);
    await waitForText(ada, "room-owner", "Private room of Ada, nobody else yet.", "the members of Ada's private room");
    await waitForText(ada, "presence", "Here: Ada", "Ada alone in her private room");
    const before = frames.bob.length;
    await ada.getByLabel("Message").pressSequentially("only ");
    await ada.getByLabel("Message").pressSequentially("for us");
    await ada.getByRole("button", { name: "Send" }).click();
    await ada.getByTestId("messages").getByText("only for us").waitFor();
    // A public message after it: once Bob has that, he would have had the private one.
    const made = await api(server.url, "POST", "/api/messages", { token: mint(1, { role: "admin" }), body: { roomId: 1, text: "meanwhile in General" } });
    assert.equal(made.status, 201, made.text);
    await bob.getByTestId("messages").getByText("meanwhile in General").waitFor();
    const leaked = frames.bob.slice(before).filter((f) => /Secret plans|only for us|chat:room:2\b|"roomId":2\b/.test(f));
    assert.deepEqual(leaked, [], "no frame about the private room reached Bob: not its creation, message, typing or presence");
    assert.equal(await bob.getByRole("link", { name: /Secret plans/ }).count(), 0, "the room is not in Bob's list");
    assert.ok(frames.ada.some((f) => f.includes("only for us")), "while Ada's page did receive it (the check can see a leak)");
    await shoot("08-bob-outside-the-private-room", bob);

    await ada.getByLabel("Add a member").selectOption({ label: "Bob" });
    await ada.getByRole("button", { name: "Add" }).click();
    await waitForText(ada, "members", "Bob Remove", "Bob among the members");
    await bob.getByRole("link", { name: /Secret plans/ }).click(); // it appeared without a reload
    await bob.getByTestId("messages").getByText("only for us").waitFor();
    await waitForText(bob, "presence", "Here: Ada, Bob", "both in the private room");
    await bob.getByLabel("Message").fill("thanks for having me");
    await bob.getByRole("button", { name: "Send" }).click();
    await ada.getByTestId("messages").getByText("thanks for having me").waitFor();
    for (const page of [ada, bob]) assert.equal(await page.evaluate(() => "sameDocument" in window), true, "no reload");
    await shoot("09-bob-in-the-private-room", bob);

    // Taken out again, Bob's page loses the room at once; what is said there no longer reaches him.
    await ada.getByTestId("members").getByRole("button", { name: "Remove" }).click();
    await waitForText(ada, "members", "", "Bob no longer among the members");
    await bob.getByRole("link", { name: /Secret plans/ }).waitFor({ state: "detached" });
    const after = frames.bob.length;
    await ada.getByLabel("Message").fill("bob is gone");
    await ada.getByRole("button", { name: "Send" }).click();
    await ada.getByTestId("messages").getByText("bob is gone").waitFor();
    const later = await api(server.url, "POST", "/api/messages", { token: mint(1, { role: "admin" }), body: { roomId: 1, text: "later in General" } });
    assert.equal(later.status, 201, later.text);
    await bob.getByRole("link", { name: "General" }).click();
    await bob.getByTestId("messages").getByText("later in General").waitFor();
    assert.deepEqual(frames.bob.slice(after).filter((f) => f.includes("bob is gone")), [], "nothing said after he left reached Bob");
    await shoot("10-bob-taken-out", bob);
    assert.deepEqual(pageErrors, [], "no uncaught errors on the pages");
  });
});
