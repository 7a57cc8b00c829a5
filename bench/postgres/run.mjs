// The PostgreSQL benchmark: `ssot serve` on SQLite (one node), on PostgreSQL (one node) and on
// two nodes sharing one PostgreSQL database, in one run, for REST (bench/http's wrk mix: get
// by id, list take 20, create) and WebSocket fan-out (bench/ws's load generator, every
// subscriber on Message:list; with two nodes the subscribers are on one node and the writes go
// through the other, so every delivery crosses nodes through PostgreSQL's NOTIFY). Every case
// runs at once on its own ports with a fresh database, seeded and checked; the cases are
// measured in turn, rotated each round. Prints a markdown report (docs/benchmarks.md,
// "PostgreSQL", explains it).
// Uses cases.mjs (options, cases, report), postgres.mjs (the throwaway PostgreSQL), bench/http
// (servers, contract check, wrk, CPU accounting) and bench/ws (the load generator).
// Usage: node bench/postgres/run.mjs --help
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkServer } from '../http/check.mjs';
import { otherWork, parseChildTimes, parseProcessTicks, sample } from '../http/cpu.mjs';
import { versions as httpVersions } from '../http/report.mjs';
import { prepareSsot, seed, start, stop } from '../http/servers.mjs';
import { HERE as HTTP_DIR, tryRun } from '../http/shell.mjs';
import { disturbance as restDisturbance, parseWrk, plan, problems, summarize as summarizeRest, wrkCommand } from '../http/wrk.mjs';
import { buildLoadgen, disturbance as fanoutDisturbance, rateSteps, runLoadgen, summarize as summarizeFanout } from '../ws/loadgen.mjs';
import { withFileLimit } from '../ws/servers.mjs';
import { CASES, USAGE, combineWrk, parseArgs, report, splitConnections } from './cases.mjs';
import { optionsOrExit } from '../ws/options.mjs';
import { createDatabase, pinPostgres, postgresTicks, postgresVersion, settings, startPostgres, stopPostgres } from './postgres.mjs';

const say = (text) => console.error(`bench/postgres: ${text}`);
// bench/http's app: one Message model on the realtime stream, no hook, so a create costs the
// same on every case (bench/ws's afterCreate publish would cost PostgreSQL a NOTIFY more).
const CONFIG = path.join(HTTP_DIR, 'config.lua');

// cpuTicks(c, pg) -> a function returning the CPU ticks of the case's server side so far:
// its nodes and, on PostgreSQL, every PostgreSQL process.
const cpuTicks = (c, pg) => () =>
  c.nodes.reduce((sum, n) => sum + parseProcessTicks(fs.readFileSync(`/proc/${n.pid}/stat`, 'utf8')), 0) +
  (CASES[c.name].store === 'postgres' ? postgresTicks(pg) : 0);

// total(base) -> the rows the node's list reports (the same on every node of a case).
async function total(base) {
  const res = await fetch(`${base}/api/messages?take=1`, { signal: AbortSignal.timeout(10000) });
  return res.status === 200 ? (await res.json()).total : `status ${res.status}`;
}

// crossCheck(from, to) -> what failed: a row created through one node reads the same
// through the other (in a room no measured request touches).
async function crossCheck(from, to) {
  const body = JSON.stringify({ roomId: 999998, author: 'cross-check', text: `written through ${from}` });
  const created = await fetch(`${from}/api/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(10000) });
  if (created.status !== 201) return [`POST through ${from} answered ${created.status}`];
  const row = await created.json();
  const read = await fetch(`${to}/api/messages/${row.id}`, { signal: AbortSignal.timeout(10000) });
  if (read.status !== 200) return [`row ${row.id} written through ${from}: GET through ${to} answered ${read.status}`];
  const same = JSON.stringify(await read.json()) === JSON.stringify(row);
  return same ? [] : [`row ${row.id} written through ${from} reads differently through ${to}`];
}

// setUp(name, o, prepared, work, pg) -> { name, nodes, notes, skip?, failed? }: the case's
// nodes started on a fresh database, seeded through the first, contract-checked there and,
// with two nodes, checked across them.
async function setUp(name, o, prepared, work, pg) {
  const c = { name, nodes: [], notes: [] };
  let db;
  if (CASES[name].store === 'postgres') {
    if (pg.skip) return { ...c, skip: pg.skip };
    db = createDatabase(pg, `ssot_${name}`);
  }
  for (const [i, port] of CASES[name].ports.entries()) {
    const dir = path.join(work, name, `node${i + 1}`);
    fs.mkdirSync(dir, { recursive: true });
    // one after the other: the first migrates the schema, the second finds it done
    const server = await start('ssot', o, prepared, dir, { port, config: CONFIG, wrap: withFileLimit, db });
    if (server.skip) return { ...c, skip: server.skip };
    c.nodes.push(server);
  }
  if (db && o.pin) pinPostgres(pg, o.serverCpu); // the nodes' backends too
  try {
    say(`${name}: seeding ${o.rows} rows through ${c.nodes[0].base}`);
    await seed(c.nodes[0].base, o.rows, o.rooms);
    // the contract check counts rows of its own room, so it runs once per database
    const check = await checkServer(c.nodes[0].base);
    say(`${name}: contract check ${check.passed} passed, ${check.failed.length} failed`);
    for (const f of check.failed) say(`  FAIL ${f.name}: ${f.message}`);
    if (check.failed.length) {
      c.failed = true;
      c.notes.push(`not measured — the contract check failed (${check.failed.map((f) => f.name).join('; ')})`);
    }
    for (const node of c.nodes.slice(1)) {
      const wrong = [...await crossCheck(c.nodes[0].base, node.base), ...await crossCheck(node.base, c.nodes[0].base)];
      say(`${name}: across nodes ${wrong.length ? `FAILED: ${wrong.join('; ')}` : 'a row written on one node reads the same on the other'}`);
      if (wrong.length) {
        c.failed = true;
        c.notes.push(`not measured — across nodes: ${wrong.join('; ')}`);
      }
    }
  } catch (err) {
    c.failed = true;
    c.notes.push(`not measured — ${err.message.split('\n')[0]}`);
    say(`${name}: ${err.message}`);
  }
  return c;
}

// runWrk(o, base, op, connections, seconds) -> { text, wrkSeconds }: one wrk, asynchronously,
// so every node of a case is loaded at once.
function runWrk(o, base, op, connections, seconds) {
  const [cmd, args] = wrkCommand(o, base, op, connections, seconds);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ text: stdout, wrkSeconds: parseChildTimes(stderr) })
      : reject(new Error(`wrk on ${base} exited with ${code}: ${stderr.trim()}`))));
  });
}

// load(o, c, op, connections, seconds) -> every node's wrk run, the connections split over them.
function load(o, c, op, connections, seconds) {
  const split = splitConnections(connections, c.nodes.length);
  return Promise.all(c.nodes.map((node, i) => runWrk(o, node.base, op, split[i], seconds)));
}

// measureRest(o, c, pg, op, connections) -> a measurement (combineWrk's figures, other,
// attempts): the least disturbed of up to o.attempts, as bench/http measures.
async function measureRest(o, c, pg, op, connections) {
  let best = null;
  let attempts = 0;
  while (attempts < o.attempts) {
    attempts++;
    const ticks = cpuTicks(c, pg);
    const before = sample(ticks);
    const outs = await load(o, c, op, connections, o.duration);
    const after = sample(ticks);
    const wrkSeconds = outs.some((x) => x.wrkSeconds === null) ? null : outs.reduce((a, x) => a + x.wrkSeconds, 0);
    const r = { ...combineWrk(outs.map((x) => parseWrk(x.text))), other: o.pin ? otherWork(before, after, o.serverCpu, o.clientCpu, wrkSeconds) : null };
    if (!best || restDisturbance(r) < restDisturbance(best)) best = r;
    if (!r.other || restDisturbance(r) <= o.maxOther) break;
    if (attempts < o.attempts) say(`other work took ${Math.round(100 * restDisturbance(r))}% of a CPU; measuring again`);
  }
  return { ...best, attempts };
}

// target(c, pg) -> what the load generator drives: subscribers on the first node, writes
// through the last (the same node when there is one), the case's whole server side for CPU.
const target = (c, pg) => ({
  port: c.nodes[0].port, pid: c.nodes[0].pid, writePort: c.nodes[c.nodes.length - 1].port, cpuTicks: cpuTicks(c, pg),
});

// checkFanout(o, loadgen, c, pg) -> what failed of a short fan-out: 20 subscribers, every write's
// deliveries arriving (across nodes on two), no error.
async function checkFanout(o, loadgen, c, pg) {
  const small = { ...o, warmup: 0, duration: 1, drain: 3, settle: 0, writers: 2 };
  const out = await runLoadgen(small, loadgen, target(c, pg), 'list', 20, [20]);
  const step = out.steps[0];
  const said = out.stderr ? ` (${out.stderr.split('\n')[0]})` : '';
  if (!out.ready || out.ready.subscribed !== 20) return [`${out.ready ? out.ready.subscribed : 0} of 20 clients subscribed${said}`];
  if (!step) return [`no measurement${said}`];
  const problemsFound = [];
  if (!step.owed || step.received !== step.owed) problemsFound.push(`${step.received} of ${step.owed} deliveries arrived${said}`);
  for (const key of ['write_errors', 'protocol_errors', 'error_messages', 'bad_events', 'events_without_time', 'dropped']) {
    const n = out.done?.[key] ?? step[key];
    if (n) problemsFound.push(`${n} ${key.replace(/_/g, ' ')}`);
  }
  return problemsFound;
}

// measureFanout(o, loadgen, c, pg, subscribers) -> the least disturbed of up to o.attempts
// load generator runs (runLoadgen's { steps, ready, done, failure? }).
async function measureFanout(o, loadgen, c, pg, subscribers) {
  const rates = rateSteps(o.rate, o.saturate, o.steps);
  let best = null;
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    const out = await runLoadgen(o, loadgen, target(c, pg), 'list', subscribers, rates);
    out.attempts = attempt;
    const said = out.stderr ? ` (${out.stderr.split('\n')[0]})` : '';
    if (!out.ready || out.ready.subscribed !== subscribers) return { ...out, failure: `${out.ready ? out.ready.subscribed : 0} of ${subscribers} clients subscribed${said}` };
    if (!out.steps.length) return { ...out, failure: `no measurement${said}` };
    const worst = Math.max(...out.steps.map(fanoutDisturbance));
    if (!best || worst < best.worst) best = { ...out, worst };
    if (!o.pin || worst <= o.maxOther) break;
    if (attempt < o.attempts) say(`other work took ${Math.round(100 * worst)}% of a CPU; measuring again`);
  }
  return best;
}

async function main() {
  const o = optionsOrExit(parseArgs, process.argv.slice(2), 'bench/postgres', USAGE);
  if (o.ssot) o.ssot = path.resolve(o.ssot);
  const command = ['node', 'bench/postgres/run.mjs', ...process.argv.slice(2)].join(' ');
  o.loadBefore = os.loadavg();
  const startedAt = new Date();
  if (o.pin) {
    const cpus = os.cpus().length;
    if (o.serverCpu >= cpus || o.clientCpu >= cpus) { console.error(`bench/postgres: --server-cpu/--client-cpu: this machine has CPUs 0..${cpus - 1}`); process.exit(2); }
  }
  const hard = Number(tryRun('sh', ['-c', 'ulimit -Hn']));
  const most = Math.max(...o.subscribers);
  if (o.fanout && Number.isFinite(hard) && hard < most + 200) {
    console.error(`bench/postgres: ${most} subscribers need about ${most + 200} open files per process; the hard limit (ulimit -Hn) is ${hard}`);
    process.exit(2);
  }
  const prepared = prepareSsot(o);
  if (prepared.skip) { console.error(`bench/postgres: ${prepared.skip}`); process.exit(1); }
  const loadgen = o.fanout ? buildLoadgen() : null;

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ssot-pg-bench-'));
  // as root, pg.sh runs PostgreSQL as another user, who must reach its directory in here
  fs.chmodSync(work, 0o755);
  const usesPostgres = o.cases.some((name) => CASES[name].store === 'postgres');
  let pg = { skip: 'not needed' };
  const v = { ...httpVersions({}) };
  delete v.node;
  v.loadgen = o.fanout ? `bench/ws/loadgen.c (${tryRun('cc', ['--version']).split('\n')[0]}, -O2)` : undefined;
  let pgSettings = '';
  const cases = {};
  const restRuns = [];
  const fanoutRuns = [];
  try {
    if (usesPostgres) {
      pg = startPostgres(path.join(work, 'pg'));
      if (pg.skip) say(`PostgreSQL: ${pg.skip}`);
      else {
        if (o.pin) pinPostgres(pg, o.serverCpu);
        v.postgres = postgresVersion(pg);
        pgSettings = settings(pg);
        say(`PostgreSQL: ${pg.url} (${pgSettings})`);
      }
    }
    for (const name of o.cases) cases[name] = await setUp(name, o, prepared, work, pg);
    const ready = o.cases.filter((name) => !cases[name].skip && !cases[name].failed);

    if (o.fanout) {
      for (const name of ready) {
        const problemsFound = await checkFanout(o, loadgen, cases[name], pg);
        say(`${name}: fan-out check ${problemsFound.length ? `FAILED: ${problemsFound.join('; ')}` : 'passed'}`);
        if (problemsFound.length) {
          cases[name].fanoutFailed = true;
          cases[name].notes.push(`fan-out not measured — its check failed: ${problemsFound.join('; ')}`);
        }
      }
    }

    if (!o.checkOnly && o.rest) {
      for (const step of plan(o.ops, o.rounds, o.connections, ready)) {
        const { op, round, connections, server: name } = step;
        const c = cases[name];
        if (o.warmup > 0) await load(o, c, op, connections, o.warmup);
        const r = await measureRest(o, c, pg, op, connections);
        restRuns.push({ ...step, ...r });
        const wrong = problems(r);
        const nodes = r.perNode.length > 1 ? ` (${r.perNode.map((n) => `${Math.round(n.rps)}, p99 ${n.p99Ms.toFixed(2)} ms`).join('; ')})` : '';
        say(`${op} c=${connections} round ${round}: ${name} ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms${nodes}` +
          `${wrong ? `, ${wrong}` : ''}${r.other ? `, other work ${Math.round(100 * restDisturbance(r))}%` : ''}`);
      }
    }
    if (!o.checkOnly && o.fanout) {
      const fanReady = ready.filter((name) => !cases[name].fanoutFailed);
      for (const step of plan(['list'], o.rounds, o.subscribers, fanReady)) {
        const { round, connections: subscribers, server: name } = step;
        const out = await measureFanout(o, loadgen, cases[name], pg, subscribers);
        fanoutRuns.push({ server: name, scenario: 'list', subscribers, round, ...out });
        if (out.failure) { say(`list ×${subscribers} round ${round}: ${name} FAILED: ${out.failure}`); continue; }
        for (const s of out.steps) {
          say(`list ×${subscribers} round ${round}: ${name} at ${s.rate} writes/s: ${Math.round(s.deliveries_per_s)} deliveries/s, ` +
            `p50 ${s.p50_ms.toFixed(2)} ms, p99 ${s.p99_ms.toFixed(2)} ms, ${s.cpuPerDeliveryUs?.toFixed(2)} µs CPU/delivery` +
            `${s.sustained ? '' : ' (not sustained)'}${s.other ? `, other work ${Math.round(100 * fanoutDisturbance(s))}%` : ''}`);
        }
      }
    }
    // every node of a case reports the same rows: the writes of each reached the others
    for (const name of o.cases) {
      const c = cases[name];
      if (c.skip || !c.nodes.length) continue;
      const totals = await Promise.all(c.nodes.map((n) => total(n.base).catch((err) => err.message)));
      c.notes.push(`rows at the end, as each node lists them: ${totals.join(', ')}`);
      if (new Set(totals.map(String)).size > 1) c.failed = true;
    }
  } finally {
    for (const name of o.cases) {
      for (const node of cases[name]?.nodes ?? []) {
        const how = await stop(node);
        if (how !== 'stopped cleanly') cases[name].notes.push(`${node.base}: ${how}`);
      }
    }
    if (pg.dir) stopPostgres(pg);
    fs.rmSync(work, { recursive: true, force: true });
  }

  const notes = [];
  for (const name of o.cases) {
    const c = cases[name];
    if (c.skip) { notes.push(`${CASES[name].label}: skipped — ${c.skip}`); say(`${name}: skipped — ${c.skip}`); }
    for (const n of c.notes) notes.push(`${CASES[name].label}: ${n}`);
    for (const r of fanoutRuns.filter((x) => x.server === name && x.done && (x.done.dropped || x.done.closed_by_server))) {
      notes.push(`${CASES[name].label}: list ×${r.subscribers} round ${r.round}: ${r.done.dropped} connection(s) dropped` +
        (r.done.closed_by_server ? `, ${r.done.closed_by_server} closed by the server (codes ${r.done.close_codes.join(', ')})` : ''));
    }
  }
  const repeated = restRuns.reduce((a, r) => a + r.attempts - 1, 0) + fanoutRuns.reduce((a, r) => a + (r.attempts || 1) - 1, 0);
  const others = [...restRuns.filter((r) => r.other).map(restDisturbance), ...fanoutRuns.flatMap((r) => (r.steps || []).filter((s) => s.other).map(fanoutDisturbance))];
  if (others.length) {
    notes.push(`Other work on the two CPUs in the kept windows: at most ${Math.round(100 * Math.max(...others))}% of a CPU ` +
      `(the loopback's network processing counts here); ${repeated} window(s) measured again because it took more than ${Math.round(100 * o.maxOther)}%.`);
  }
  const failed = o.cases.some((name) => cases[name].failed || cases[name].fanoutFailed) || fanoutRuns.some((r) => r.failure);
  if (o.checkOnly) {
    for (const n of notes) console.log(`- ${n}`);
    console.log(failed ? 'check: FAILED' : 'check: every case that ran passed');
    process.exit(failed ? 1 : 0);
  }
  if (!v.loadgen) delete v.loadgen;
  const text = report(o, {
    rest: summarizeRest(restRuns), fanout: summarizeFanout(fanoutRuns), notes, versions: v, command, startedAt, pgSettings,
  });
  console.log(text);
  if (o.out) fs.writeFileSync(o.out, text);
  if (o.raw) fs.writeFileSync(o.raw, `${JSON.stringify({ command, options: o, versions: v, pgSettings, rest: restRuns, fanout: fanoutRuns }, null, 1)}\n`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(`bench/postgres: ${err.stack || err.message}`);
  process.exit(1);
});

