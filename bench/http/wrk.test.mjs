// Tests of reading wrk's output: the figures the report shows come from here.
// Run: node --test bench/
import test from 'node:test';
import assert from 'node:assert/strict';
import { disturbance, median, parseWrk, plan, problems, summarize } from './wrk.mjs';

const output = (p99, extra = '') => `Running 10s test @ http://127.0.0.1:18181
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.31ms    1.02ms  30.00ms   90.00%
    Req/Sec    21.50k     1.20k   23.00k    70.00%
  Latency Distribution
     50%    2.10ms
     75%    2.50ms
     90%    3.00ms
     99%    ${p99}
  214000 requests in 10.00s, 40.00MB read
${extra}Requests/sec:  21398.45
Transfer/sec:      4.00MB
`;

test('requests/s, p99 in every unit wrk prints, and the request count', () => {
  for (const [p99, ms] of [['812.00us', 0.812], ['5.31ms', 5.31], ['1.20s', 1200], ['1.50m', 90000]]) {
    const r = parseWrk(output(p99));
    assert.equal(r.rps, 21398.45);
    assert.equal(r.requests, 214000);
    assert.ok(Math.abs(r.p99Ms - ms) < 1e-9, `${p99} -> ${r.p99Ms}`);
    assert.equal(problems(r), '');
  }
});

test('non-2xx answers and socket errors are reported, by kind', () => {
  const r = parseWrk(output('5.00ms', '  Socket errors: connect 0, read 2, write 0, timeout 7\n  Non-2xx or 3xx responses: 12\n'));
  assert.equal(r.non2xx, 12);
  assert.deepEqual(r.socketErrors, { read: 2, timeout: 7 });
  assert.equal(problems(r), '12 non-2xx, 2 read, 7 timeout');
});

test('output without the figures is an error, not a zero', () => {
  assert.throws(() => parseWrk('unable to connect to 127.0.0.1:18181 Connection refused\n'), /cannot read wrk's output/);
});

test('the order of the servers rotates each round, so each takes every place equally often', () => {
  const steps = plan(['get', 'create'], 3, [10, 100], ['ssot', 'uws', 'express']);
  assert.equal(steps.length, 2 * 3 * 2 * 3);
  const orderOf = (op, round, c) => steps.filter((s) => s.op === op && s.round === round && s.connections === c).map((s) => s.server);
  assert.deepEqual(orderOf('get', 1, 10), ['ssot', 'uws', 'express']);
  assert.deepEqual(orderOf('get', 2, 100), ['uws', 'express', 'ssot']);
  assert.deepEqual(orderOf('get', 3, 10), ['express', 'ssot', 'uws']);
  for (const server of ['ssot', 'uws', 'express']) {
    const places = [1, 2, 3].map((round) => orderOf('get', round, 10).indexOf(server)).sort();
    assert.deepEqual(places, [0, 1, 2], `${server} is measured first, second and third once each`);
  }
  // operations in the given order, create last; a round's connection counts before the next round
  assert.deepEqual([...new Set(steps.map((s) => s.op))], ['get', 'create']);
  assert.deepEqual(steps.slice(0, 7).map((s) => `${s.round}/${s.connections}`),
    ['1/10', '1/10', '1/10', '1/100', '1/100', '1/100', '2/10']);
});

test('a summary gives the median of the rounds, their range, and sums the errors', () => {
  const run = (server, rps, p99Ms, extra = {}) => ({ server, op: 'get', connections: 10, rps, p99Ms, requests: 100, non2xx: 0, socketErrors: {}, ...extra });
  const [ssot, uws] = summarize([
    run('ssot', 300, 3), run('uws', 50, 9, { non2xx: 2 }), run('ssot', 100, 1), run('uws', 70, 7, { socketErrors: { timeout: 1 } }),
    run('ssot', 200, 5), run('uws', 60, 8, { socketErrors: { timeout: 2, read: 1 } }), run('ssot', 400, 2),
  ]);
  assert.deepEqual({ ...ssot }, {
    server: 'ssot', op: 'get', connections: 10, rounds: 4, rps: 250, rpsMin: 100, rpsMax: 400, p99Ms: 2.5, p99Min: 1, p99Max: 5,
    requests: 400, non2xx: 0, socketErrors: {}, otherMax: null, repeated: 0,
  });
  assert.equal(uws.rps, 60);
  assert.equal(uws.p99Ms, 8);
  assert.equal(uws.non2xx, 2);
  assert.deepEqual(uws.socketErrors, { timeout: 3, read: 1 });
  assert.equal(median([5]), 5);
});

test('the disturbance of a measurement and of a cell: the busier CPU, and measurements repeated', () => {
  const run = (other, attempts) => ({ server: 'uws', op: 'list', connections: 100, rps: 1, p99Ms: 1, requests: 1, non2xx: 0, socketErrors: {}, other, attempts });
  assert.equal(disturbance(run({ server: 0.04, client: 0.12, clientBusy: 0.95 }, 1)), 0.12);
  assert.equal(disturbance(run({ server: 0.04, client: 0.3, clientBusy: 0.6 }, 1)), 0.3, 'even when wrk\'s CPU had room');
  assert.equal(disturbance(run({ server: 0.3, client: null }, 1)), 0.3);
  assert.equal(disturbance(run(null, 1)), 0);
  const [cell] = summarize([run({ server: 0.05, client: 0.02 }, 1), run({ server: 0.2, client: 0.1 }, 3), run({ server: 0.01, client: 0.09 }, 2)]);
  assert.equal(cell.otherMax, 0.2);
  assert.equal(cell.repeated, 3);
});
