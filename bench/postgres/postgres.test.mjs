// Tests of the PostgreSQL benchmark's pure parts: the command line, splitting wrk's
// connections over the nodes and adding their figures up, another database's URL, the
// PostgreSQL CPU ticks of reaped children, and the report's tables. They need neither
// PostgreSQL nor a running server. Run: node --test bench/
import test from 'node:test';
import assert from 'node:assert/strict';
import { CASES, UsageError, combineWrk, fanoutTable, parseArgs, report, restTable, splitConnections, withDatabase } from './cases.mjs';
import { parseReapedTicks } from './postgres.mjs';

test('the defaults: every case, REST at 10 and 100 connections, 1,000 subscribers at 40 writes/s, pinned', () => {
  const o = parseArgs([]);
  assert.deepEqual(o.cases, ['sqlite', 'pg1', 'pg2']);
  assert.deepEqual(o.ops, ['get', 'list', 'create']);
  assert.deepEqual(o.connections, [10, 100]);
  assert.deepEqual(o.subscribers, [1000]);
  assert.equal(o.rate, 40);
  assert.ok(o.pin && o.rest && o.fanout && !o.saturate);
});

test('options are read and checked', () => {
  const o = parseArgs(['--cases', 'pg2,sqlite', '--ops', 'create,get', '--connections', '4,50', '--subscribers', '500,200,500',
    '--rate', '2.5', '--no-rest', '--saturate', '--steps', '3', '--no-pin']);
  assert.deepEqual(o.cases, ['sqlite', 'pg2'], 'cases in their fixed order');
  assert.deepEqual(o.ops, ['get', 'create'], 'create last');
  assert.deepEqual(o.connections, [4, 50]);
  assert.deepEqual(o.subscribers, [200, 500], 'sorted, without repeats');
  assert.equal(o.rate, 2.5);
  assert.ok(!o.rest && o.fanout && o.saturate && !o.pin);
  for (const bad of [['--cases', 'mysql'], ['--connections', '1'], ['--rate', '0'], ['--rows', '100'], ['--steps', '40'],
    ['--server-cpu', '1', '--client-cpu', '1'], ['--max-other', '101'], ['--warmup', '-1'], ['--frobnicate'], ['--duration']]) {
    assert.throws(() => parseArgs(bad), UsageError, bad.join(' '));
  }
  assert.equal(parseArgs(['--cases', 'sqlite', '--connections', '1']).connections[0], 1, 'one connection is enough for one node');
});

test('wrk connections are split as evenly as can be over the nodes', () => {
  assert.deepEqual(splitConnections(10, 1), [10]);
  assert.deepEqual(splitConnections(10, 2), [5, 5]);
  assert.deepEqual(splitConnections(101, 2), [51, 50]);
  assert.deepEqual(splitConnections(7, 3), [3, 2, 2]);
  assert.equal(CASES.pg2.ports.length, 2);
});

test('the nodes\' wrk figures add up; the p99 is the slower node\'s', () => {
  const a = { rps: 1000.5, p99Ms: 2.5, requests: 10005, non2xx: 1, socketErrors: { timeout: 2 } };
  const b = { rps: 999.5, p99Ms: 3.5, requests: 9995, non2xx: 0, socketErrors: { timeout: 1, read: 4 } };
  const r = combineWrk([a, b]);
  assert.equal(r.rps, 2000);
  assert.equal(r.p99Ms, 3.5);
  assert.equal(r.requests, 20000);
  assert.equal(r.non2xx, 1);
  assert.deepEqual(r.socketErrors, { timeout: 3, read: 4 });
  assert.deepEqual(r.perNode, [{ rps: 1000.5, p99Ms: 2.5 }, { rps: 999.5, p99Ms: 3.5 }]);
  assert.equal(combineWrk([a]).rps, 1000.5, 'one node is itself');
});

test('another database of the same server', () => {
  assert.equal(withDatabase('postgresql:///ssot?host=/tmp/x%20y&user=postgres', 'ssot_pg2'), 'postgresql:///ssot_pg2?host=/tmp/x%20y&user=postgres');
  assert.equal(withDatabase('postgres://app@db:5432/app', 'b'), 'postgres://app@db:5432/b');
  assert.throws(() => withDatabase('/tmp/app.db', 'b'));
});

test('the ticks of reaped children come from fields 16 and 17 of /proc/<pid>/stat', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
  const line = '4242 (postgres: a) S 1 4242 4242 0 -1 4194560 100 200 0 0 7 3 250 50 20 0 1 0 99 0 0';
  assert.equal(parseReapedTicks(line), 300);
});

const rest = (server, op, connections, rps, p99Ms) => ({
  server, op, connections, rounds: 1, rps, rpsMin: rps, rpsMax: rps, p99Ms, p99Min: p99Ms, p99Max: p99Ms, non2xx: 0, socketErrors: {},
});

test('the REST table: a column per case, PostgreSQL\'s ratios to SQLite and of two nodes to one', () => {
  const o = parseArgs(['--connections', '10', '--ops', 'get']);
  const lines = restTable(o, [rest('sqlite', 'get', 10, 40000, 1), rest('pg1', 'get', 10, 20000, 2), rest('pg2', 'get', 10, 30000, 3)]);
  assert.match(lines[0], /^\| operation \| connections \| SQLite, 1 node \| PostgreSQL, 1 node \| PostgreSQL, 2 nodes \| PostgreSQL 1 node \/ SQLite \| PostgreSQL 2 nodes \/ 1 node \|$/);
  assert.equal(lines[2], '| get by id | 10 | 40,000 req/s, p99 1.00 ms | 20,000 req/s, p99 2.00 ms | 30,000 req/s, p99 3.00 ms | 0.50× req/s | 1.50× req/s |');
  assert.deepEqual(restTable(o, []), []);
  assert.doesNotMatch(restTable({ ...o, cases: ['sqlite'] }, [rest('sqlite', 'get', 10, 1, 1)])[0], /\//, 'no ratio without both cases');
});

test('the fan-out table and the report name the machine\'s sharing honestly', () => {
  const o = parseArgs([]);
  const stat = (v) => ({ median: v, min: v, max: v });
  const r = {
    server: 'pg2', scenario: 'list', subscribers: 1000, rounds: 1, rate: 40, deliveries: stat(40000), p50: stat(4), p99: stat(13.6),
    cpuUs: stat(3.38), sustained: 1, problems: [], failures: [],
  };
  const lines = fanoutTable(o, [r]);
  assert.equal(lines[2], '| PostgreSQL, 2 nodes (subscribers on node A, writes through node B) | 1,000 | 40 | 40,000/s, p50 4.00 ms, p99 13.6 ms, 3.38 µs CPU |');
  assert.match(fanoutTable(o, [{ ...r, server: 'sqlite' }])[2], /^\| SQLite, 1 node \| 1,000 \|/);
  const text = report({ ...o, loadBefore: [0.1, 0.2, 0.3] }, { fanout: [r], command: 'node bench/postgres/run.mjs', pgSettings: 'fsync on' });
  assert.match(text, /the ssot nodes and PostgreSQL on CPU 0, wrk and the load generator on CPU 1/);
  assert.match(text, /PostgreSQL settings: fsync on/);
  assert.doesNotMatch(text, /### REST/, 'no REST table without REST figures');
  assert.match(report({ ...o, pin: false }, { command: 'x' }), /share every CPU/);
});
