// The WebSocket fan-out benchmark: `ssot serve` against the Express + ws and uWebSockets.js
// peers (bench/peers), in one run. Each server gets a fresh database, is seeded over HTTP and
// passes the protocol check (the load generator with a few clients in every scenario: every
// delivery arrives, shaped as docs/protocol.md says); then, for each scenario and subscriber
// count, the load generator (loadgen.c) connects the subscribers to each server in turn,
// writes at the given rate and measures deliveries/s, latency, and the server's CPU time per
// delivery; first, each fresh server's memory per idle connection. Prints a markdown report
// (docs/benchmarks.md "WebSocket" explains it).
// Uses options.mjs (command line), servers.mjs (life cycle), loadgen.mjs (measuring),
// report.mjs (the report), and bench/http's modules through them.
// Usage: node bench/ws/run.mjs --help
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { versions as httpVersions } from '../http/report.mjs';
import { PEERS, tryRun } from '../http/shell.mjs';
import { USAGE, optionsOrExit, parseArgs } from './options.mjs';
import { SERVERS, inspectDatabase, preparePeer, prepareSsot, seed, start, stop } from './servers.mjs';
import { buildLoadgen, disturbance, plan, rateSteps, runLoadgen, summarize } from './loadgen.mjs';
import { report } from './report.mjs';

const say = (text) => console.error(`bench/ws: ${text}`);

// backgroundWork() -> a sentence naming the processes (not ours) that were using a CPU when
// the run started, niced ones marked: their figures are then low, by how much they took.
function backgroundWork() {
  const r = spawnSync('ps', ['-eo', 'pid=,ni=,pcpu=,comm='], { encoding: 'utf8' });
  if (r.status !== 0) return '';
  const busy = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)).filter(([pid, , cpu, comm]) => Number(cpu) >= 10 && Number(pid) !== process.pid && comm !== 'ps')
    .map(([, ni, cpu, comm]) => `${comm} (${Number(ni) > 0 ? `niced ${ni}, ` : ''}${Math.round(Number(cpu))}% CPU)`);
  return busy.length ? `Busy when it started: ${busy.join(', ')}.` : '';
}

function versions(outcomes, loadgen) {
  const v = httpVersions(outcomes);
  delete v.wrk;
  if (v.express) {
    const lock = JSON.parse(fs.readFileSync(path.join(PEERS, 'express', 'package-lock.json'), 'utf8'));
    v.express = v.express.replace('express ', `ws ${lock.packages['node_modules/ws']?.version ?? 'missing'}, express `);
  }
  v.loadgen = `bench/ws/loadgen.c (${tryRun('cc', ['--version']).split('\n')[0]}, -O2)`;
  v.loadgenPath = loadgen;
  return v;
}

// check(o, binary, server) -> what failed of the protocol check: a few clients per scenario,
// every write's deliveries arriving, no error or malformed message.
async function check(o, binary, server) {
  const problems = [];
  const small = { ...o, channels: 10, warmup: 0, duration: 1, drain: 3, settle: 0, writers: 2 };
  for (const scenario of o.scenarios) {
    const out = await runLoadgen(small, binary, server, scenario, 20, [20]);
    const step = out.steps[0];
    const done = out.done || {};
    const said = out.stderr ? ` (${out.stderr.split('\n')[0]})` : '';
    if (!out.ready || out.ready.subscribed !== 20) {
      problems.push(`${scenario}: ${out.ready ? `${out.ready.subscribed} of 20 clients subscribed` : 'the load generator failed'}${said}`);
      continue;
    }
    if (!step) { problems.push(`${scenario}: no measurement${said}`); continue; }
    if (!step.owed || step.received !== step.owed) problems.push(`${scenario}: ${step.received} of ${step.owed} deliveries arrived${said}`);
    for (const key of ['write_errors', 'protocol_errors', 'error_messages', 'bad_events', 'events_without_time', 'dropped']) {
      const n = done[key] ?? step[key];
      if (n) problems.push(`${scenario}: ${n} ${key.replace(/_/g, ' ')}${said}`);
    }
  }
  return problems;
}

// measureOne(o, binary, server, step) -> a run of plan(): the least disturbed of up to
// o.attempts, { steps, memory, ready, done, failure? }.
async function measureOne(o, binary, server, { op: scenario, connections: subscribers }) {
  const rates = rateSteps(o.rates[scenario], o.saturate, o.steps);
  let best = null;
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    const out = await runLoadgen(o, binary, server, scenario, subscribers, rates);
    out.attempts = attempt;
    if (!out.ready || out.ready.subscribed !== subscribers) {
      out.failure = `${out.ready ? out.ready.subscribed : 0} of ${subscribers} clients subscribed` +
        (out.stderr ? ` (${out.stderr.split('\n')[0]})` : '');
      return out;
    }
    if (!out.steps.length) {
      out.failure = `no measurement${out.stderr ? ` (${out.stderr.split('\n')[0]})` : ''}`;
      return out;
    }
    const worst = Math.max(...out.steps.map(disturbance));
    if (!best || worst < best.worst) best = { ...out, worst };
    if (!o.pin || worst <= o.maxOther) break;
    if (attempt < o.attempts) say(`other work took ${Math.round(100 * worst)}% of a CPU; measuring again`);
  }
  return best;
}

async function main() {
  const o = optionsOrExit(parseArgs, process.argv.slice(2), 'bench/ws', USAGE);
  if (o.ssot) o.ssot = path.resolve(o.ssot);
  const command = ['node', 'bench/ws/run.mjs', ...process.argv.slice(2)].join(' ');
  o.loadBefore = os.loadavg();
  o.startedAt = new Date();
  const background = backgroundWork();
  if (o.pin) {
    const cpus = os.cpus().length;
    if (o.serverCpu >= cpus || o.clientCpu >= cpus) { console.error(`bench/ws: --server-cpu/--client-cpu: this machine has CPUs 0..${cpus - 1}`); process.exit(2); }
  }
  const hard = Number(tryRun('sh', ['-c', 'ulimit -Hn']));
  const most = Math.max(...o.subscribers);
  if (Number.isFinite(hard) && hard < most + 200) {
    console.error(`bench/ws: ${most} subscribers need about ${most + 200} open files per process; the hard limit (ulimit -Hn) is ${hard}`);
    process.exit(2);
  }
  const loadgen = buildLoadgen();

  const outcomes = {};
  for (const name of o.servers) {
    try {
      const prepared = name === 'ssot' ? prepareSsot(o) : preparePeer(name);
      outcomes[name] = prepared.skip ? { skip: prepared.skip, notes: [] } : { prepared, notes: [] };
    } catch (err) {
      outcomes[name] = { skip: err.message, notes: [] };
    }
  }
  const v = versions(outcomes, loadgen);

  const runs = [];
  const memory = {};
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ssot-ws-bench-'));
  try {
    // every server runs at once (the idle ones cost nothing), seeded and checked
    for (const name of o.servers) {
      if (outcomes[name].skip) continue;
      const server = await start(name, o, outcomes[name].prepared, work);
      if (server.skip) { outcomes[name] = { skip: server.skip, notes: [] }; continue; }
      outcomes[name].server = server;
      try {
        say(`${name}: seeding ${o.channels} rows`);
        await seed(server.base, o.channels, o.channels);
        const problems = await check(o, loadgen, server);
        say(`${name}: protocol check ${problems.length ? `FAILED: ${problems.join('; ')}` : 'passed'}`);
        if (problems.length) {
          outcomes[name].failed = true;
          outcomes[name].notes.push(`not measured — the protocol check failed: ${problems.join('; ')}`);
        }
      } catch (err) {
        outcomes[name].failed = true;
        // the server's own words: its first error and the line after it (a hook's Lua error)
        const lines = fs.readFileSync(server.logFile, 'utf8').trim().split('\n');
        const at = lines.findIndex((l) => /^error/i.test(l));
        const log = at >= 0 ? lines.slice(at, at + 2).join(' ') : lines.slice(-2).join(' / ');
        outcomes[name].notes.push(`not measured — ${err.message.split('\n')[0]}${log ? ` (its log: ${log})` : ''}`);
        say(`${name}: ${err.message}`);
      }
    }
    const ready = o.servers.filter((name) => outcomes[name].server && !outcomes[name].failed);

    if (!o.checkOnly) {
      // memory per idle connection, on each server before it did anything else
      for (const name of ready) {
        const server = outcomes[name].server;
        const out = await runLoadgen(o, loadgen, server, o.scenarios[0], most, [1], { hold: true });
        memory[name] = { clients: most, scenario: o.scenarios[0], ...out.memory };
        say(`${name}: ${most} idle clients: RSS ${out.memory.before} KiB before, ${out.memory.idle} KiB with them`);
      }
      for (const step of plan(o.scenarios, o.rounds, o.subscribers, ready)) {
        const { server: name } = step;
        if (outcomes[name].failed) continue;
        const out = await measureOne(o, loadgen, outcomes[name].server, step);
        runs.push({ server: name, scenario: step.op, subscribers: step.connections, round: step.round, ...out });
        if (out.failure) {
          say(`${step.op} ×${step.connections} round ${step.round}: ${name} FAILED: ${out.failure}`);
          continue;
        }
        for (const s of out.steps) {
          say(`${step.op} ×${step.connections} round ${step.round}: ${name} at ${s.rate} writes/s: ${Math.round(s.deliveries_per_s)} deliveries/s, ` +
            `p50 ${s.p50_ms.toFixed(2)} ms, p99 ${s.p99_ms.toFixed(2)} ms, ${s.cpuPerDeliveryUs?.toFixed(2)} µs CPU/delivery` +
            `${s.sustained ? '' : ' (not sustained)'}${s.other ? `, other work ${Math.round(100 * disturbance(s))}%` : ''}`);
        }
      }
    }
  } finally {
    for (const name of o.servers) {
      const server = outcomes[name].server;
      if (!server) continue;
      const peak = fs.existsSync(`/proc/${server.pid}/status`) ? fs.readFileSync(`/proc/${server.pid}/status`, 'utf8') : '';
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(peak);
      if (memory[name] && hwm) memory[name].peakRun = Math.max(Number(hwm[1]), ...runs.filter((r) => r.server === name).map((r) => r.memory?.peak ?? 0));
      outcomes[name].stream = inspectDatabase(server.db).stream;
      const how = await stop(server);
      if (how !== 'stopped cleanly') outcomes[name].notes.push(how);
    }
    fs.rmSync(work, { recursive: true, force: true });
  }

  const notes = [];
  for (const name of o.servers) {
    const { label } = SERVERS[name];
    if (outcomes[name].skip) {
      notes.push(`${label}: skipped — ${outcomes[name].skip}`);
      say(`${name}: skipped — ${outcomes[name].skip}`);
    }
    for (const n of outcomes[name].notes) notes.push(`${label}: ${n}`);
    const lost = runs.filter((r) => r.server === name && r.done && (r.done.dropped || r.done.closed_by_server));
    for (const r of lost) {
      notes.push(`${label}: ${r.scenario} ×${r.subscribers} round ${r.round}: ${r.done.dropped} connection(s) dropped` +
        (r.done.closed_by_server ? `, ${r.done.closed_by_server} closed by the server (codes ${r.done.close_codes.join(', ')})` : ''));
    }
  }
  const failed = o.servers.some((name) => outcomes[name].failed) || runs.some((r) => r.failure);
  if (o.checkOnly) {
    for (const n of notes) console.log(`- ${n}`);
    for (const name of o.servers) if (outcomes[name].stream) console.log(`- ${SERVERS[name].label}: change stream ${outcomes[name].stream}`);
    console.log(failed ? 'protocol check: FAILED' : 'protocol check: every server that ran passed');
    process.exit(failed ? 1 : 0);
  }
  const results = summarize(runs);
  const text = report(o, { results, runs, memory, notes, versions: v, command, background });
  console.log(text);
  if (o.out) fs.writeFileSync(o.out, text);
  if (o.raw) fs.writeFileSync(o.raw, `${JSON.stringify({ command, options: o, versions: v, memory, runs }, null, 1)}\n`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(`bench/ws: ${err.stack || err.message}`);
  process.exit(1);
});
