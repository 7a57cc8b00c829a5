// The HTTP benchmark: `ssot serve` against the Express and uWebSockets.js peers (bench/peers),
// in one run. Each server gets a fresh database, is seeded over HTTP and passes the contract
// check (check.mjs); then wrk measures get by id, list (take 20) and create on each server in
// turn, interleaved: requests/s and p99 latency. Prints a markdown table (docs/benchmarks.md
// "HTTP" explains it).
// Uses servers.mjs (life cycle), wrk.mjs (measuring), report.mjs (the table).
// Usage: node bench/http/run.mjs --help
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkServer } from './check.mjs';
import { SERVERS, inspectDatabase, preparePeer, prepareSsot, seed, start, stop } from './servers.mjs';
import { measureAll } from './wrk.mjs';
import { report, versions } from './report.mjs';

const USAGE = `usage: node bench/http/run.mjs [options]
  --servers LIST       servers to run, of ssot,uws,express (default: all three)
  --ops LIST           operations, of get,list,create (default: all; create runs last)
  --connections LIST   wrk connection counts, e.g. 10,100 (default: 50)
  --duration SECONDS   length of each measurement (default: 10)
  --rounds N           measure everything N times, report the medians (default: 1)
  --warmup SECONDS     unmeasured wrk run before each measurement (default: 2)
  --rows N             rows seeded before measuring (default: 2000)
  --rooms N            distinct roomId values the rows and requests use (default: 20)
  --threads N          wrk threads (default: 1)
  --ssot PATH          the ssot binary (default: build it in build-bench/, Release)
  --server-cpu N       CPU the server is pinned to with taskset (default: 0)
  --client-cpu N       CPU wrk is pinned to (default: 1)
  --no-pin             do not pin either process
  --max-other PERCENT  with pinning, measure again when other work took more than this share
                       of the server's or wrk's CPU (default: 10)
  --attempts N         measure at most N times, keeping the least disturbed (default: 3)
  --check-only         start each server, seed it and run the contract check; no wrk
  --out FILE           also write the markdown report to FILE
  --raw FILE           also write every measurement (each round, each server) as JSON to FILE
Ports 18180 (ssot), 18181 (uws), 18182 (express) on 127.0.0.1 must be free.`;

const OPERATIONS = ['get', 'list', 'create'];

function fail(message) {
  console.error(`bench/http: ${message}`);
  process.exit(2);
}

function parseList(flag, value, allowed) {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (allowed && !allowed.includes(item)) fail(`${flag}: unknown '${item}' (expected ${allowed.join(', ')})`);
  }
  if (items.length === 0) fail(`${flag}: empty list`);
  return items;
}

function parsePositive(flag, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`${flag}: expected a positive integer, got '${value}'`);
  return n;
}

function parseArgs(argv) {
  const o = {
    servers: ['ssot', 'uws', 'express'], ops: OPERATIONS, connections: [50], duration: 10, rounds: 1, warmup: 2,
    rows: 2000, rooms: 20, threads: 1, ssot: '', serverCpu: 0, clientCpu: 1, pin: true, maxOther: 0.1, attempts: 3,
    checkOnly: false, out: '', raw: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${flag}: missing value`);
      return argv[++i];
    };
    switch (flag) {
      case '--servers': o.servers = parseList(flag, value(), Object.keys(SERVERS)); break;
      case '--ops': {
        const ops = parseList(flag, value(), OPERATIONS);
        o.ops = OPERATIONS.filter((op) => ops.includes(op)); // create always runs last
        break;
      }
      case '--connections': o.connections = parseList(flag, value()).map((c) => parsePositive(flag, c)); break;
      case '--duration': o.duration = parsePositive(flag, value()); break;
      case '--rounds': o.rounds = parsePositive(flag, value()); break;
      case '--warmup': o.warmup = Number(value()); break;
      case '--rows': o.rows = parsePositive(flag, value()); break;
      case '--rooms': o.rooms = parsePositive(flag, value()); break;
      case '--threads': o.threads = parsePositive(flag, value()); break;
      case '--ssot': o.ssot = path.resolve(value()); break;
      case '--server-cpu': o.serverCpu = Number(value()); break;
      case '--client-cpu': o.clientCpu = Number(value()); break;
      case '--no-pin': o.pin = false; break;
      case '--max-other': {
        const percent = Number(value());
        if (!Number.isFinite(percent) || percent < 0 || percent > 100) fail('--max-other: expected a percentage 0..100');
        o.maxOther = percent / 100;
        break;
      }
      case '--attempts': o.attempts = parsePositive(flag, value()); break;
      case '--check-only': o.checkOnly = true; break;
      case '--out': o.out = path.resolve(value()); break;
      case '--raw': o.raw = path.resolve(value()); break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: fail(`unknown option '${flag}'\n${USAGE}`);
    }
  }
  if (!Number.isFinite(o.warmup) || o.warmup < 0) fail('--warmup: expected a number of seconds ≥ 0');
  if (o.rows < o.rooms * 20) fail(`--rows ${o.rows}: need at least 20 rows per room (--rooms ${o.rooms}) for full pages`);
  return o;
}

// setUp(name, o, prepared, work) -> { server?, skip?, failed?, schema?, notes }: the server
// started on a fresh database in work, seeded, contract-checked and inspected.
async function setUp(name, o, prepared, work) {
  const server = await start(name, o, prepared, work);
  if (server.skip) return { skip: server.skip, notes: [] };
  const outcome = { server, notes: [] };
  try {
    console.error(`bench/http: ${name}: seeding ${o.rows} rows`);
    await seed(server.base, o.rows, o.rooms);
    const check = await checkServer(server.base);
    console.error(`bench/http: ${name}: contract check ${check.passed} passed, ${check.failed.length} failed`);
    for (const f of check.failed) console.error(`  FAIL ${f.name}: ${f.message}`);
    const db = inspectDatabase(server.db);
    outcome.schema = db.schema;
    outcome.stream = db.stream;
    if (db.journal !== 'wal') outcome.notes.push(`journal_mode is '${db.journal}', not 'wal'`);
    if (check.failed.length) {
      outcome.failed = true;
      outcome.notes.push(`not measured — the contract check failed (${check.failed.map((f) => f.name).join('; ')})`);
    }
  } catch (err) {
    outcome.failed = true;
    outcome.notes.push(`not measured — ${err.message.split('\n')[0]}`);
    console.error(`bench/http: ${name}: ${err.message}`);
  }
  return outcome;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const command = ['node', 'bench/http/run.mjs', ...process.argv.slice(2)].join(' ');
  o.loadBefore = os.loadavg();
  o.startedAt = new Date();
  if (!o.checkOnly && spawnSync('wrk', ['-v']).error) fail('wrk is not installed (scripts/install-deps.sh installs it)');
  if (o.pin) {
    const cpus = os.cpus().length;
    if (o.serverCpu >= cpus || o.clientCpu >= cpus) fail(`--server-cpu/--client-cpu: this machine has CPUs 0..${cpus - 1}`);
  }

  const outcomes = {};
  for (const name of o.servers) {
    try {
      const prepared = name === 'ssot' ? prepareSsot(o) : preparePeer(name);
      outcomes[name] = prepared.skip ? { skip: prepared.skip, notes: [] } : { prepared, notes: [] };
    } catch (err) {
      outcomes[name] = { skip: err.message, notes: [] };
    }
  }

  const versionsAtStart = versions(outcomes);

  // Every server runs at once (the idle ones cost nothing), so each operation is measured on
  // all of them within seconds of each other, under the same background load.
  let measured = { runs: [], results: [] };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ssot-http-bench-'));
  try {
    for (const name of o.servers) {
      if (!outcomes[name].skip) outcomes[name] = await setUp(name, o, outcomes[name].prepared, work);
    }
    const ready = o.servers.filter((name) => outcomes[name].server && !outcomes[name].failed);
    if (!o.checkOnly) {
      measured = measureAll(o, ready.map((name) => [name, outcomes[name].server.base, outcomes[name].server.child.pid]));
    }
  } finally {
    for (const name of o.servers) {
      if (!outcomes[name].server) continue;
      const how = await stop(outcomes[name].server);
      if (how !== 'stopped cleanly') outcomes[name].notes.push(how);
    }
    fs.rmSync(work, { recursive: true, force: true });
  }

  const notes = [];
  for (const name of o.servers) {
    const { label } = SERVERS[name];
    if (outcomes[name].skip) {
      notes.push(`${label}: skipped — ${outcomes[name].skip}`);
      console.error(`bench/http: ${name}: skipped — ${outcomes[name].skip}`);
    }
    for (const n of outcomes[name].notes) notes.push(`${label}: ${n}`);
  }
  // Servers that store different tables or change streams do different work: the run fails.
  let differ = false;
  const schemas = o.servers.filter((name) => outcomes[name].schema).map((name) => [name, outcomes[name].schema]);
  if (new Set(schemas.map(([, ddl]) => ddl)).size > 1) {
    differ = true;
    notes.push('the servers create different tables (messages, its index, _ssot_streams, _ssot_changes): ' +
      schemas.map(([name, ddl]) => `${name}: \`${ddl}\``).join('; '));
  }
  const streams = o.servers.filter((name) => outcomes[name].stream).map((name) => [name, outcomes[name].stream]);
  if (new Set(streams.map(([, state]) => state)).size > 1) {
    differ = true;
    notes.push('the servers\' change streams differ after the same requests: ' +
      streams.map(([name, state]) => `${name}: ${state}`).join('; '));
  }
  const failed = differ || o.servers.some((name) => outcomes[name].failed);

  if (o.checkOnly) {
    for (const [name, state] of streams) console.log(`- ${SERVERS[name].label}: change stream ${state}`);
    for (const n of notes) console.log(`- ${n}`);
    console.log(failed ? 'contract check: FAILED' : 'contract check: every server that ran passed');
    process.exit(failed ? 1 : 0);
  }
  const text = report(o, measured.results, notes, versionsAtStart, command, measured.runs);
  console.log(text);
  if (o.out) fs.writeFileSync(o.out, text);
  if (o.raw) fs.writeFileSync(o.raw, `${JSON.stringify({ command, versions: versionsAtStart, runs: measured.runs }, null, 1)}\n`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(`bench/http: ${err.stack || err.message}`);
  process.exit(1);
});
