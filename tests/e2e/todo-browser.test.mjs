// The todo example's front end (examples/todo/web) in a real browser: a temporary copy generated,
// type-checked and built (browser.mjs), served by `ssot serve`. Two pages of one user and one of
// another: a task added, ticked or deleted on one of Alice's pages shows on her other without a
// reload, and no task of one user ever shows on the other's page (the list rule isOwner, applied
// to the live events too). Screenshots go to $SSOT_ARTIFACTS_DIR/todo-browser (default:
// test-artifacts/ in the build directory). Skips, saying so, without chromium.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { api, mint, startServe } from "./helpers.mjs";
import { artifactsDir, buildExample, launchChromium, skipWithoutChromium, WAIT_MS, waitForText, waitForValue } from "./browser.mjs";

describe("the todo front end in chromium", { skip: skipWithoutChromium }, () => {
  let server, browser, artifacts, token;
  const pages = {};
  const pageErrors = [];
  const shoot = (name, page) => page.screenshot({ path: join(artifacts, `${name}.png`) });
  /** The titles of the tasks on a page, in its order. */
  const titles = (page) => page.getByTestId("tasks").locator(".title").allTextContents();

  before(async () => {
    token = { alice: mint("alice"), bob: mint("bob") };
    const todo = await buildExample("todo");
    server = await startServe(join(todo, "config.lua"), { db: join(todo, "todo.db") });
    artifacts = artifactsDir("todo-browser");
    browser = await launchChromium();
    // Alice's two windows share a browser context (one localStorage, as two tabs would); Bob has his own.
    const contexts = {};
    for (const [name, user] of [["alice1", "alice"], ["alice2", "alice"], ["bob", "bob"]]) {
      contexts[user] ??= await browser.newContext({ viewport: { width: 800, height: 560 } });
      const page = await contexts[user].newPage();
      page.setDefaultTimeout(WAIT_MS);
      page.on("pageerror", (error) => pageErrors.push(`${name}: ${error.stack ?? error.message}`));
      await page.goto(`${server.url}/?token=${token[user]}`);
      pages[name] = page;
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("signs each page in as its user, from ?token=, with an open WebSocket and no tasks", async () => {
    for (const [name, page] of Object.entries(pages)) {
      await waitForText(page, "me", name.replace(/[0-9]$/, ""), `${name}'s page`);
      await waitForText(page, "connection", "open", `${name}'s connection badge`);
      await waitForText(page, "summary", "Nothing to do.", `${name}'s empty list`);
      // Marks the document: a reload would lose it.
      await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    }
  });

  it("a task added in one of Alice's windows appears in the other; Bob never sees hers, nor she his", async () => {
    const { alice1, alice2, bob } = pages;
    await alice1.getByLabel("New task").fill("Buy milk");
    await alice1.getByRole("button", { name: "Add" }).click();
    await alice2.getByTestId("tasks").getByText("Buy milk").waitFor();
    await waitForValue(alice1.getByLabel("New task"), "", "the form after adding");

    await bob.getByLabel("New task").fill("Walk the dog");
    await bob.getByLabel("New task").press("Enter");
    await bob.getByTestId("tasks").getByText("Walk the dog").waitFor();
    await alice2.getByLabel("New task").fill("Call the bank");
    await alice2.getByRole("button", { name: "Add" }).click();
    await alice1.getByTestId("tasks").getByText("Call the bank").waitFor();

    // Bob's next task comes from elsewhere (REST), so it reaches his page only as a pushed event,
    // after every change committed before it: once it is there, Alice's would have been too.
    const made = await api(server.url, "POST", "/api/tasks", { token: token.bob, body: { title: "Water the plants" } });
    assert.equal(made.status, 201, made.text);
    await bob.getByTestId("tasks").getByText("Water the plants").waitFor();
    await alice1.getByTestId("tasks").getByText("Call the bank").waitFor();
    assert.deepEqual(await titles(bob), ["Walk the dog", "Water the plants"], "Bob's page holds only his tasks");
    for (const page of [alice1, alice2]) {
      await waitForText(page, "summary", "2 of 2 left", "Alice's summary");
      assert.deepEqual(await titles(page), ["Buy milk", "Call the bank"], "Alice's pages hold only hers");
    }
    // The server agrees: Bob lists only his, and cannot read Alice's by id.
    const listed = await api(server.url, "GET", "/api/tasks", { token: token.bob });
    assert.deepEqual(listed.json.items.map((t) => t.ownerId), ["bob", "bob"]);
    assert.equal((await api(server.url, "GET", "/api/tasks/1", { token: token.bob })).status, 403);
    await shoot("01-alice-window-1", alice1);
    await shoot("02-alice-window-2", alice2);
    await shoot("03-bob", bob);
  });

  it("ticking a task done and deleting one show in Alice's other window; Bob's page is unchanged", async () => {
    const { alice1, alice2, bob } = pages;
    // click(), not check(): the box is checked by the server's answer, not at once.
    await alice1.getByLabel("Done: Buy milk").click();
    await alice2.locator('[aria-label="Done: Buy milk"]:checked').waitFor();
    await waitForText(alice2, "summary", "1 of 2 left", "after ticking in the other window");
    await alice2.getByRole("button", { name: "Delete Call the bank" }).click();
    await alice1.getByTestId("tasks").getByText("Call the bank").waitFor({ state: "detached" });
    await waitForText(alice1, "summary", "0 of 1 left", "after deleting in the other window");
    // Unticking comes back too.
    await alice2.getByLabel("Done: Buy milk").click();
    await alice1.locator('[aria-label="Done: Buy milk"]:not(:checked)').waitFor();
    await waitForText(alice1, "summary", "1 of 1 left", "after unticking in the other window");

    // Bob cannot change Alice's task; his page still shows his two, untouched.
    const patched = await api(server.url, "PATCH", "/api/tasks/1", { token: token.bob, body: { done: true } });
    assert.equal(patched.status, 403, patched.text);
    await waitForText(bob, "summary", "2 of 2 left", "Bob's summary");
    assert.deepEqual(await titles(bob), ["Walk the dog", "Water the plants"]);
    for (const page of Object.values(pages)) assert.equal(await page.evaluate(() => "sameDocument" in window), true, "no reload");
    await shoot("04-alice-window-1-after", alice1);
    await shoot("05-alice-window-2-after", alice2);
    assert.deepEqual(pageErrors, [], "no uncaught errors on the pages");
  });
});
