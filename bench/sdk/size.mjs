#!/usr/bin/env node
// How many bytes the generated SDK and React hooks add to an app: generates
// examples/chat/config.lua with the real `ssot run` (with websockets as configured, and again
// with websockets disabled), bundles small entry points that export what an app imports with
// esbuild (bundle, minify, ESM, browser, es2022) and reports each bundle's minified size and
// its gzip size (level 9). Uses only node: modules and the repo's node_modules (esbuild).
//
//   node bench/sdk/size.mjs              Markdown table
//   node bench/sdk/size.mjs --json       the same figures as JSON
//   node bench/sdk/size.mjs --help
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const SOURCE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CONFIG = "examples/chat/config.lua";
const GZIP_LEVEL = 9;
const TARGET = "es2022";
// The React hooks' peer dependencies: an app installs them itself, so they are not counted.
const PEERS = ["react", "react-dom", "@tanstack/react-query"];

const VARIANTS = {
  realtime: { label: "websockets enabled (the chat example as is)" },
  http: { label: "websockets disabled (`enabled = false` in the chat config's `websockets`)" },
};

const BUNDLES = [
  {
    id: "client-http",
    name: "HTTP client only",
    variant: "http",
    source: 'export { createClient } from "./generated/sdk/index.js";\n',
    external: [],
  },
  {
    id: "client-realtime",
    name: "realtime client",
    variant: "realtime",
    source: 'export { createClient } from "./generated/sdk/index.js";\n',
    external: [],
  },
  {
    id: "react-http",
    name: "React hooks, HTTP only",
    variant: "http",
    source: 'export * from "./generated/react/index.js";\n',
    external: PEERS,
  },
  {
    id: "react-realtime",
    name: "React hooks, realtime",
    variant: "realtime",
    source: 'export * from "./generated/react/index.js";\n',
    external: PEERS,
  },
  // What a React app ships from ssot: the hooks and the client it hands to SsotProvider,
  // bundled together (modules they share counted once).
  {
    id: "app-http",
    name: "client + React hooks, HTTP only",
    variant: "http",
    source: 'export { createClient } from "./generated/sdk/index.js";\nexport * from "./generated/react/index.js";\n',
    external: PEERS,
  },
  {
    id: "app-realtime",
    name: "client + React hooks, realtime",
    variant: "realtime",
    source: 'export { createClient } from "./generated/sdk/index.js";\nexport * from "./generated/react/index.js";\n',
    external: PEERS,
  },
];

const HELP = `Usage: node bench/sdk/size.mjs [--json] [--modules] [--keep] [--ssot BIN]

Generates ${CONFIG} with \`ssot run\` twice (websockets enabled, as in the
example; and with \`enabled = false\`), bundles one small entry point per row with esbuild
(bundle, minify, format esm, platform browser, target ${TARGET}) and prints each bundle's
minified and gzip (level ${GZIP_LEVEL}) size as a Markdown table.

Rows:
${BUNDLES.map((b) => `  ${b.name.padEnd(32)} ${b.source.trim().split("\n").join(" ")}${b.external.length ? `  (external: ${b.external.join(", ")})` : ""}`).join("\n")}
  (the "HTTP" rows are generated with websockets disabled)

Options:
  --json        print the figures as JSON instead of Markdown
  --modules     also list, per bundle, the bytes each source file left in the minified output
  --keep        keep the temporary directory (generated code, entries, bundles) and print it
  --ssot BIN    the ssot binary (default: $SSOT_BIN, else build/ssot in the repo)
  --help        this text

Needs a built ssot and esbuild in the repo's node_modules (\`npm ci\`).
See docs/benchmarks.md, "SDK size".`;

function fail(message) {
  process.stderr.write(`bench/sdk/size.mjs: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const options = { json: false, modules: false, keep: false, ssot: process.env.SSOT_BIN ?? join(SOURCE_DIR, "build", "ssot") };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(`${HELP}\n`);
      process.exit(0);
    } else if (arg === "--json") options.json = true;
    else if (arg === "--modules") options.modules = true;
    else if (arg === "--keep") options.keep = true;
    else if (arg === "--ssot") {
      if (i + 1 >= argv.length) usage("--ssot needs a path");
      options.ssot = argv[++i];
    } else if (arg.startsWith("--ssot=")) options.ssot = arg.slice("--ssot=".length);
    else usage(`unknown argument ${arg}`);
  }
  options.ssot = resolve(options.ssot);
  return options;
}

function usage(message) {
  process.stderr.write(`bench/sdk/size.mjs: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

async function loadEsbuild() {
  const require = createRequire(join(SOURCE_DIR, "package.json"));
  let path;
  try {
    path = require.resolve("esbuild");
  } catch {
    fail(`esbuild is not installed in ${join(SOURCE_DIR, "node_modules")}: run \`npm ci\` in ${SOURCE_DIR} (package.json pins it)`);
  }
  try {
    const esbuild = await import(pathToFileURL(path).href);
    return esbuild.default?.build ? esbuild.default : esbuild;
  } catch (error) {
    fail(`esbuild (${path}) cannot be loaded: ${error.message}\nrun \`npm ci\` in ${SOURCE_DIR}`);
  }
}

function checkSsot(bin) {
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    fail(
      `the ssot binary ${bin} is missing or not executable: build it ` +
        "(cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2), " +
        "or name one with SSOT_BIN=... or --ssot",
    );
  }
  const version = spawnSync(bin, ["version"], { encoding: "utf8" });
  if (version.status !== 0) fail(`${bin} version exited ${version.status}: ${version.stderr || version.error?.message || ""}`);
  return version.stdout.trim();
}

/** The chat config with websockets disabled: `enabled = true` on the line after `websockets = {`. */
function httpOnlyConfig(text) {
  const lines = text.split("\n");
  const at = lines.findIndex((line) => /^\s*websockets\s*=\s*\{\s*(--.*)?$/.test(line));
  if (at < 0 || !/^\s*enabled\s*=\s*true\s*,/.test(lines[at + 1] ?? "")) {
    fail(`${CONFIG} no longer has \`enabled = true\` on the line after \`websockets = {\`: update httpOnlyConfig()`);
  }
  lines[at + 1] = lines[at + 1].replace(/enabled\s*=\s*true/, "enabled = false");
  return lines.join("\n");
}

/** Runs `ssot run config -o dir/generated` in an ES module package that sees the repo's node_modules. */
function generate(bin, config, dir) {
  mkdirSync(dir, { recursive: true });
  const result = spawnSync(bin, ["run", config, "-o", join(dir, "generated"), "--quiet"], { encoding: "utf8" });
  if (result.status !== 0) {
    fail(`ssot run ${config} exited ${result.status ?? result.signal}:\n${result.stdout ?? ""}${result.stderr ?? result.error?.message ?? ""}`);
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  symlinkSync(join(SOURCE_DIR, "node_modules"), join(dir, "node_modules"), "dir");
}

function gitCommit() {
  const head = spawnSync("git", ["-C", SOURCE_DIR, "rev-parse", "--short", "HEAD"], { encoding: "utf8" });
  if (head.status !== 0) return null;
  const dirty = spawnSync("git", ["-C", SOURCE_DIR, "status", "--porcelain", "--", "lua", "templates", "src"], { encoding: "utf8" });
  return { commit: head.stdout.trim(), generatorChanged: dirty.status === 0 && dirty.stdout.trim() !== "" };
}

async function bundle(esbuild, dir, spec) {
  const entry = join(dir, `${spec.id}.ts`);
  writeFileSync(entry, spec.source);
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: dir,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: TARGET,
    external: spec.external,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  for (const warning of result.warnings) {
    process.stderr.write(`esbuild warning (${spec.name}): ${warning.text}\n`);
  }
  const output = result.outputFiles[0].contents;
  writeFileSync(join(dir, `${spec.id}.min.js`), output);
  const [meta] = Object.values(result.metafile.outputs);
  const modules = Object.entries(meta.inputs)
    .map(([path, { bytesInOutput }]) => ({ path: relative(dir, resolve(dir, path)), bytes: bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  // Only the generated code (and the one-line entry) may be in the bundle: a peer dependency
  // bundled by mistake would inflate the figure.
  const foreign = modules.filter((m) => m.path.startsWith("..") || m.path.includes("node_modules"));
  if (foreign.length > 0) fail(`${spec.name}: the bundle holds code from outside the generated output: ${foreign.map((m) => m.path).join(", ")}`);
  const imports = [...new Set(meta.imports.filter((i) => i.external).map((i) => i.path))].sort();
  return {
    id: spec.id,
    name: spec.name,
    variant: spec.variant,
    entry: spec.source.trim().split("\n").join(" "),
    external: spec.external,
    externalImports: imports,
    minified: output.length,
    gzip: gzipSync(output, { level: GZIP_LEVEL }).length,
    modules,
  };
}

const bytes = (n) => n.toLocaleString("en-US");
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

function markdown(report, withModules) {
  const out = [];
  out.push("| bundle | entry point | minified | minified + gzip |");
  out.push("| --- | --- | ---: | ---: |");
  for (const b of report.bundles) {
    const note = b.external.length ? `; external: ${b.external.join(", ")}` : "";
    out.push(`| ${b.name} | \`${b.entry}\` (${b.variant === "http" ? "websockets disabled" : "websockets enabled"}${note}) | ${bytes(b.minified)} B (${kib(b.minified)}) | ${bytes(b.gzip)} B (${kib(b.gzip)}) |`);
  }
  out.push("");
  const by = Object.fromEntries(report.bundles.map((b) => [b.id, b]));
  for (const [what, http, live] of [
    ["client", by["client-http"], by["client-realtime"]],
    ["React hooks", by["react-http"], by["react-realtime"]],
    ["client + React hooks", by["app-http"], by["app-realtime"]],
  ]) {
    out.push(
      `Realtime adds to the ${what}: +${bytes(live.minified - http.minified)} B minified ` +
        `(${(live.minified / http.minified).toFixed(2)}×), +${bytes(live.gzip - http.gzip)} B gzip (${(live.gzip / http.gzip).toFixed(2)}×).`,
    );
  }
  out.push("");
  const git = report.ssot.commit ? ` at ${report.ssot.commit}${report.ssot.generatorChanged ? " (lua/, templates/ or src/ changed since)" : ""}` : "";
  out.push(
    `${report.config}; ${report.ssot.version} (${report.ssot.bin})${git}; esbuild ${report.esbuild} ` +
      `(bundle, minify, format esm, platform browser, target ${report.target}); gzip level ${report.gzipLevel} (node:zlib); ` +
      `Node ${report.node}; ${report.date}.`,
  );
  if (withModules) {
    for (const b of report.bundles) {
      out.push("", `${b.name} — bytes each file left in the minified bundle:`, "");
      out.push("| file | bytes |", "| --- | ---: |");
      for (const m of b.modules) out.push(`| ${m.path} | ${bytes(m.bytes)} |`);
    }
  }
  return `${out.join("\n")}\n`;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const version = checkSsot(options.ssot);
  const esbuild = await loadEsbuild();

  const root = mkdtempSync(join(tmpdir(), "ssot-sdk-size-"));
  if (!options.keep) process.on("exit", () => rmSync(root, { recursive: true, force: true }));

  const config = join(SOURCE_DIR, CONFIG);
  if (!existsSync(config)) fail(`${config} is missing`);
  const dirs = { realtime: join(root, "realtime"), http: join(root, "http") };
  generate(options.ssot, config, dirs.realtime);
  mkdirSync(dirs.http, { recursive: true });
  writeFileSync(join(dirs.http, "config.lua"), httpOnlyConfig(readFileSync(config, "utf8")));
  generate(options.ssot, join(dirs.http, "config.lua"), dirs.http);
  // The two variants must differ where it matters, or the comparison measures nothing.
  for (const [variant, expected] of [["realtime", true], ["http", false]]) {
    const transport = join(dirs[variant], "generated", "sdk", "runtime", "websocket-transport.ts");
    if (existsSync(transport) !== expected) {
      fail(`the ${variant} variant ${expected ? "lacks" : "has"} the WebSocket transport (${transport})`);
    }
  }

  const bundles = [];
  for (const spec of BUNDLES) {
    try {
      bundles.push(await bundle(esbuild, dirs[spec.variant], spec));
    } catch (error) {
      fail(`esbuild failed on ${spec.name}:\n${error.message}`);
    }
  }

  const report = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    config: CONFIG,
    variants: VARIANTS,
    ssot: { bin: options.ssot, version, ...gitCommit() },
    esbuild: esbuild.version,
    node: process.version,
    target: TARGET,
    gzipLevel: GZIP_LEVEL,
    bundles: bundles.map(({ modules, ...b }) => (options.modules ? { ...b, modules } : b)),
  };
  if (options.keep) report.dir = root;

  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(markdown({ ...report, bundles }, options.modules));
    if (options.keep) process.stdout.write(`\nKept ${root}\n`);
  }
}

await main();
