// The Node running the test suite is one package.json's "engines" accepts, and so is the Node
// scripts/install-deps.sh installs when the machine's is older: a README install that leaves a
// Node package.json rejects fails CI here, whatever npm only warns about. Needs no node_modules.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const SOURCE_DIR = resolve(process.env.SSOT_SOURCE_DIR ?? join(dirname(fileURLToPath(import.meta.url)), "..", ".."));
const read = (path) => readFileSync(join(SOURCE_DIR, path), "utf8");
const ENGINE = JSON.parse(read("package.json")).engines?.node;

/** [major, minor, patch] of "22.3.1" or "v22.3.1"; missing parts are 0. */
const parse = (version) => version.replace(/^v/, "").split(".").map((n) => Number(n) || 0).concat(0, 0).slice(0, 3);
const atLeast = (version, min) => {
  const [a, b] = [parse(version), parse(min)];
  const i = a.findIndex((n, k) => n !== b[k]);
  return i === -1 || a[i] > b[i];
};

/** The minimum of ">=20" or ">=20.5.0": install-deps.sh reads the same form, so no other is accepted. */
function minimum(range) {
  const m = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(range ?? "");
  assert.ok(m, `package.json's engines.node is ${JSON.stringify(range)}: this test and scripts/install-deps.sh understand ">=N" only`);
  return m[1];
}

describe("package.json engines.node", () => {
  it("accepts the Node running the tests", () => {
    const min = minimum(ENGINE);
    assert.ok(
      atLeast(process.versions.node, min),
      `the tests run on Node ${process.versions.node} (${process.execPath}), which package.json's engines (${ENGINE}) reject: ` +
        "run ./scripts/install-deps.sh (it installs a newer Node); a build directory configured before keeps " +
        "the node it found (NODE in CMakeCache.txt): reconfigure it with -DNODE=$(command -v node)",
    );
  });

  it("accepts the Node that scripts/install-deps.sh installs", () => {
    const pinned = /^NODE_VERSION=(\d+\.\d+\.\d+)$/m.exec(read("scripts/install-deps.sh"))?.[1];
    assert.ok(pinned, "scripts/install-deps.sh pins NODE_VERSION=x.y.z");
    assert.ok(atLeast(pinned, minimum(ENGINE)), `install-deps.sh installs Node ${pinned}, which package.json's engines (${ENGINE}) reject`);
  });

  it("is the benchmark peers' too (they run on the same Node)", () => {
    const peers = readdirSync(join(SOURCE_DIR, "bench", "peers"))
      .filter((name) => existsSync(join(SOURCE_DIR, "bench", "peers", name, "package-lock.json")));
    assert.ok(peers.length > 0, "bench/peers/*/package-lock.json");
    for (const peer of peers) {
      const engine = JSON.parse(read(`bench/peers/${peer}/package.json`)).engines?.node;
      assert.equal(engine, ENGINE, `bench/peers/${peer}/package.json's engines.node`);
    }
  });

  it("compares versions as numbers", () => {
    assert.ok(atLeast("20.0.0", "20"));
    assert.ok(atLeast("v22.1.0", "20.5.0"));
    assert.ok(!atLeast("18.19.0", "20"));
    assert.ok(!atLeast("20.4.9", "20.5"));
    assert.ok(atLeast("100.0.0", "20"));
  });
});
