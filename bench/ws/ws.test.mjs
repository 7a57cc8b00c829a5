// Tests of the WebSocket benchmark's pure parts: the command line, the rate steps, the
// summary of rounds and saturation, niced work told apart from other work, the report's
// cells and tables, reading /proc's memory lines. They need neither the peers nor a running
// server. Run: node --test bench/
import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RATES, UsageError, parseArgs, parseRates } from './options.mjs';
import { parseCpuLines } from '../http/cpu.mjs';
import {
  disturbance, loadgenArgs, niced, otherWorkWithNice, parseNiceTicks, rateSteps, saturation, summarize, whyNotSustained,
} from './loadgen.mjs';
import { formatCell, formatSaturation, ratio, report } from './report.mjs';
import { commandFor, parseStatusKib, withFileLimit } from './servers.mjs';

test('the defaults: every server and scenario, 1,000 and 5,000 subscribers, pinned', () => {
  const o = parseArgs([]);
  assert.deepEqual(o.servers, ['ssot', 'uws', 'express']);
  assert.deepEqual(o.scenarios, ['list', 'items', 'rooms']);
  assert.deepEqual(o.subscribers, [1000, 5000]);
  assert.deepEqual(o.rates, DEFAULT_RATES);
  assert.equal(o.pin, true);
  assert.equal(o.saturate, false);
});

test('options are read and checked', () => {
  const o = parseArgs(['--servers', 'uws,express', '--scenarios', 'rooms,list', '--subscribers', '5000,1000,5000',
    '--rate', '40', '--duration', '2.5', '--rounds', '3', '--saturate', '--steps', '4', '--check-only', '--no-pin']);
  assert.deepEqual(o.servers, ['uws', 'express']);
  assert.deepEqual(o.scenarios, ['list', 'rooms'], 'scenarios run in their fixed order');
  assert.deepEqual(o.subscribers, [1000, 5000], 'sorted, without repeats');
  assert.deepEqual(o.rates, { list: 40, items: 40, rooms: 40 });
  assert.equal(o.duration, 2.5);
  assert.equal(o.rounds, 3);
  assert.equal(o.steps, 4);
  assert.ok(o.saturate && o.checkOnly && !o.pin);
  assert.equal(parseArgs(['--help']).help, true);
  for (const bad of [['--servers', 'nginx'], ['--scenarios', ''], ['--subscribers', '0'], ['--subscribers', '1.5'],
    ['--rate', 'list=0'], ['--rate', 'chat=5'], ['--duration', 'x'], ['--rounds'], ['--frobnicate'],
    ['--server-cpu', '1', '--client-cpu', '1'], ['--max-other', '200'], ['--steps', '40']]) {
    assert.throws(() => parseArgs(bad), UsageError, bad.join(' '));
  }
});

test('a rate per scenario keeps the others\' defaults', () => {
  assert.deepEqual(parseRates('items=500'), { ...DEFAULT_RATES, items: 500 });
  assert.deepEqual(parseRates('list=2.5,rooms=100'), { ...DEFAULT_RATES, list: 2.5, rooms: 100 });
});

test('rate steps double from the base rate with --saturate; the loadgen gets every option', () => {
  assert.deepEqual(rateSteps(10, false, 5), [10]);
  assert.deepEqual(rateSteps(10, true, 4), [10, 20, 40, 80]);
  const o = parseArgs(['--channels', '50', '--writers', '4', '--max-p99', '250']);
  assert.deepEqual(loadgenArgs(o, 18281, 'items', 5000, [10, 20]), ['--port', '18281', '--subscribers', '5000', '--scenario', 'items',
    '--channels', '50', '--rate', '10,20', '--warmup', '2', '--duration', '10', '--drain', '5', '--writers', '4', '--max-p99', '250', '--wait-go']);
});

test('servers run with the descriptor limit raised; ssot serves the WebSocket config', () => {
  const [cmd, args] = withFileLimit('node', ['server.js']);
  assert.equal(cmd, 'sh');
  assert.deepEqual(args.slice(-2), ['node', 'server.js']);
  const [bin, sargs] = commandFor('ssot', { binary: '/x/ssot' }, 18280, '/tmp/s.db');
  assert.equal(bin, '/x/ssot');
  assert.match(sargs[1], /bench\/ws\/config\.lua$/);
  assert.ok(sargs.includes('--quiet'));
});

test('memory lines of /proc/<pid>/status', () => {
  const text = 'Name:\tnode\nVmHWM:\t  170000 kB\nVmRSS:\t   65432 kB\n';
  assert.equal(parseStatusKib(text, 'VmRSS'), 65432);
  assert.equal(parseStatusKib(text, 'VmHWM'), 170000);
  assert.equal(parseStatusKib(text, 'VmSwap'), null);
});

const step = (over) => ({
  rate: 10, seconds: 10, writes: 100, writes_due: 100, write_errors: 0, deliveries: 500000, deliveries_per_s: 50000,
  owed: 500000, received: 500000, missing: 0, drain_s: 0.1, p50_ms: 30, p99_ms: 80, max_ms: 90, loadgen_cpu_s: 3,
  sustained: true, maxP99: 1000, cpuPerDeliveryUs: 6.5, other: null, ...over,
});

test('saturation: the best sustained step and the first that broke, and why', () => {
  const steps = [step({ rate: 10 }), step({ rate: 20, deliveries_per_s: 100000 }),
    step({ rate: 40, deliveries_per_s: 90000, sustained: false, writes: 300, writes_due: 400, p99_ms: 2500 })];
  const { best, broke } = saturation(steps);
  assert.equal(best.rate, 20);
  assert.equal(broke.rate, 40);
  assert.equal(whyNotSustained(broke), '300 of 400 writes sent, p99 2500 ms');
  assert.equal(whyNotSustained(step({ sustained: false, missing: 20000 })), '4% of deliveries missing after 0.1 s');
  assert.equal(saturation([step({})]).broke, undefined);
});

test('summarize: medians and ranges of the first step over rounds, per server, scenario and count', () => {
  const run = (server, round, over) => ({ server, scenario: 'list', subscribers: 5000, round, steps: [step(over)], memory: { peak: 1000 * round } });
  const results = summarize([run('uws', 1, { deliveries_per_s: 40000, p99_ms: 90 }), run('uws', 2, { deliveries_per_s: 50000, p99_ms: 70 }),
    run('uws', 3, { deliveries_per_s: 45000, p99_ms: 80, sustained: false, writes: 10 }), run('express', 1, {})]);
  assert.equal(results.length, 2);
  const uws = results[0];
  assert.deepEqual([uws.server, uws.rounds, uws.rate], ['uws', 3, 10]);
  assert.deepEqual(uws.deliveries, { median: 45000, min: 40000, max: 50000 });
  assert.deepEqual(uws.p99, { median: 80, min: 70, max: 90 });
  assert.equal(uws.sustained, 2);
  assert.deepEqual(uws.problems, ['10 of 100 writes sent']);
  assert.equal(uws.peakKib, 3000);
  assert.equal(uws.best.deliveries_per_s, 50000);
});

test('report cells: figures with their ranges, warnings, failures, ratios', () => {
  const [r] = summarize([{ server: 'uws', scenario: 'list', subscribers: 1000, round: 1, steps: [step({})] }]);
  assert.equal(formatCell(r), '50,000/s, p50 30.0 ms, p99 80.0 ms, 6.50 µs CPU');
  assert.equal(formatCell(undefined), '—');
  assert.equal(formatCell({ failures: ['12 of 1000 clients subscribed'] }), 'not measured: 12 of 1000 clients subscribed');
  assert.equal(formatSaturation(r), '50,000/s at 10 writes/s (p99 80.0 ms, 6.50 µs CPU); every rate tried was sustained');
  const [ssot] = summarize([{ server: 'ssot', scenario: 'list', subscribers: 1000, round: 1, steps: [step({ deliveries_per_s: 100000, p99_ms: 40, cpuPerDeliveryUs: 3.25 })] }]);
  assert.equal(ratio(ssot, r), '2.00× deliveries/s, 0.50× p99, 0.50× CPU');
  assert.equal(ratio(undefined, r), '—');
  const [bad] = summarize([{ server: 'uws', scenario: 'list', subscribers: 1000, round: 1, steps: [step({ sustained: false, missing: 100000 })] }]);
  assert.match(formatCell(bad), /⚠ not sustained in 1 of 1: 20% of deliveries missing/);
});

test('the report: the setup, one row per scenario and count, saturation, memory, versions, notes', () => {
  const o = { ...parseArgs(['--servers', 'ssot,uws', '--scenarios', 'list', '--subscribers', '1000', '--saturate']), loadBefore: [0.5, 0.4, 0.3] };
  const runs = [
    { server: 'ssot', scenario: 'list', subscribers: 1000, round: 1, steps: [step({ deliveries_per_s: 100000 })] },
    { server: 'uws', scenario: 'list', subscribers: 1000, round: 1, steps: [step({}), step({ rate: 20, sustained: false, p99_ms: 3000 })] },
  ];
  const text = report(o, {
    results: summarize(runs), runs, command: 'node bench/ws/run.mjs', background: 'Busy when it started: fuzz_rules (niced 19, 90% CPU).',
    memory: { uws: { clients: 5000, before: 51200, idle: 61440, peakRun: 102400 } },
    notes: ['Express + ws + better-sqlite3: skipped — not installed'],
    versions: { node: 'v20', loadgen: 'cc', ssot: 'abc', ssotLibs: 'SQLite 3', uws: 'uwebsockets 3.0.6' },
  });
  assert.match(text, /load average 0\.50 0\.40 0\.30 when it started\. Busy when it started: fuzz_rules \(niced 19, 90% CPU\)\./);
  assert.match(text, /\| scenario \| subscribers \| writes\/s \| ssot \| uWS\.js \+ better-sqlite3 \| ssot vs uWS\.js \|/);
  assert.match(text, /\| list \| 1,000 \| 10 \| 100,000\/s, .* \| 50,000\/s, .* \| 2\.00× deliveries\/s, 1\.00× p99, 1\.00× CPU \|/);
  assert.match(text, /at 20 writes\/s 50,000\/s: p99 3000 ms/);
  assert.match(text, /\| uWS\.js \+ better-sqlite3 \| 5,000 \| 50\.0 MiB \| 60\.0 MiB \| 2\.0 KiB \| 100\.0 MiB \|/);
  assert.match(text, /The load generator used a median 30% and at most 30% of its CPU in a measured window \(at most during list ×1000 on ssot, 100,000 deliveries\/s\)/);
  assert.match(text, /- Express \+ ws \+ better-sqlite3: skipped — not installed/);
  assert.match(text, /Versions: Node v20; load generator cc; ssot abc \(SQLite 3\); uws peer: uwebsockets 3\.0\.6\./);
});

test('niced background work is told apart from other work', () => {
  const stat = (user0, nice0, idle0, user1, nice1, idle1) => `cpu  1 2 3 4\ncpu0 ${user0} ${nice0} 0 ${idle0} 0 0 0 0\ncpu1 ${user1} ${nice1} 0 ${idle1} 0 0 0 0\n`;
  assert.deepEqual(parseNiceTicks(stat(10, 20, 30, 40, 50, 60)), { cpu0: 20, cpu1: 50 });
  const sample = (text, server) => ({ cpus: parseCpuLines(text), server, nice: parseNiceTicks(text) });
  // over 100 ticks a CPU: the server 50 ticks and a niced job 40 on CPU 0; the loadgen 30 and
  // the niced job 60 on CPU 1
  const before = sample(stat(0, 0, 0, 0, 0, 0), 0);
  const after = sample(stat(50, 40, 10, 30, 60, 10), 50);
  const other = otherWorkWithNice(before, after, 0, 1, 0.3);
  assert.ok(Math.abs(other.server - 0.4) < 1e-9 && Math.abs(other.nicedServer - 0.4) < 1e-9);
  assert.ok(Math.abs(other.client - 0.6) < 1e-9 && Math.abs(other.nicedClient - 0.6) < 1e-9);
  assert.ok(disturbance({ other }) < 1e-9, 'niced work alone is no disturbance');
  assert.ok(Math.abs(niced({ other }) - 0.6) < 1e-9);
  assert.ok(Math.abs(disturbance({ other: { ...other, client: 0.8 } }) - 0.2) < 1e-9);
});
