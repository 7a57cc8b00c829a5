// The inventory example's front end (examples/inventory/web) in headless chromium (browser.mjs):
// a temporary copy generated, type-checked, built and served by `ssot serve` with a product made
// over REST. A visitor's product page (no token) shows the stock; an admin's page (?token= with
// role admin) changes it with the stock editor; the visitor's page follows without a reload
// (useGet on Product:item:<id>), as does the catalogue. Screenshots go to
// $SSOT_ARTIFACTS_DIR/inventory-browser. Skips, saying so, without chromium.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { artifactsDir, buildExample, launchChromium, skipWithoutChromium as skip, WAIT_MS, waitForText } from "./browser.mjs";
import { api, mint, startServe } from "./helpers.mjs";

describe("the inventory front end in chromium", { skip }, () => {
  let artifacts, server, browser, visitor, admin;
  const pageErrors = [];
  const shoot = (name, page) => page.screenshot({ path: join(artifacts, `${name}.png`) });

  /** A page in a browser context of its own (its own localStorage), marked to detect a reload. */
  async function open(name, path) {
    const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on("pageerror", (error) => pageErrors.push(`${name}: ${error.stack ?? error.message}`));
    await page.goto(`${server.url}${path}`);
    await waitForText(page, "connection", "open", `the ${name}'s connection badge`);
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    return page;
  }

  before(async () => {
    const inventory = await buildExample("inventory");
    server = await startServe(join(inventory, "config.lua"), { db: join(inventory, "..", "inventory.db") });
    const token = mint(1, { role: "admin" });
    const category = await api(server.url, "POST", "/api/categories", { token, body: { name: "Tools" } });
    assert.equal(category.status, 201, category.text);
    const product = await api(server.url, "POST", "/api/products", {
      token, body: { sku: "HAM-1", name: "Claw hammer", price: 19.5, stock: 12, categoryId: category.json.id },
    });
    assert.equal(product.status, 201, product.text);

    artifacts = artifactsDir("inventory-browser");
    browser = await launchChromium();
    visitor = await open("visitor", "/products/1");
    admin = await open("admin", `/products/1?token=${token}`);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("a visitor's product page shows the product and its stock, without the admin's controls", async () => {
    await waitForText(visitor, "me", "visitor", "the visitor's page");
    await waitForText(visitor, "product-name", "Claw hammer", "the product's name");
    await waitForText(visitor, "stock", "12", "the stock");
    await waitForText(visitor, "price", "19.50", "the price");
    assert.equal(await visitor.getByLabel("Stock editor").count(), 0, "no stock editor for a visitor");
    await shoot("01-visitor", visitor);
  });

  it("an admin changes the stock; the visitor's page follows without a reload", async () => {
    await waitForText(admin, "me", "user 1 (admin)", "the admin's page");
    await admin.getByLabel("Stock", { exact: true }).fill("3");
    await admin.getByRole("button", { name: "Save" }).click();
    await waitForText(admin, "stock", "3", "the admin's page after saving");
    await waitForText(visitor, "stock", "3", "the visitor's page after the admin saved");
    await admin.getByRole("button", { name: "−1" }).click();
    await waitForText(visitor, "stock", "2", "the visitor's page after −1");
    await shoot("02-admin", admin);
    await shoot("03-visitor-updated", visitor);

    // The server's hook refuses a negative stock; the editor says why and nothing changes.
    await admin.getByLabel("Stock", { exact: true }).fill("-1");
    await admin.getByRole("button", { name: "Save" }).click();
    await admin.getByRole("alert").filter({ hasText: "stock cannot be negative" }).waitFor();
    await waitForText(visitor, "stock", "2", "the visitor's page after a refused write");

    // The catalogue's list follows too: back to it, then a write from elsewhere (REST).
    await visitor.getByRole("link", { name: "All products" }).click();
    await visitor.getByTestId("products").getByText("Claw hammer").waitFor();
    const sold = await api(server.url, "PATCH", "/api/products/1", { token: mint(1, { role: "admin" }), body: { stock: 0 } });
    assert.equal(sold.status, 200, sold.text);
    await visitor.locator("tr.sold-out").getByText("Claw hammer").waitFor();
    for (const page of [visitor, admin]) assert.equal(await page.evaluate(() => "sameDocument" in window), true, "no reload");
    await shoot("04-visitor-catalogue", visitor);
    assert.deepEqual(pageErrors, [], "no uncaught errors on the pages");
  });
});
