// Tests of reading wrk's output: the figures the report shows come from here.
// Run: node --test bench/
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseWrk, problems } from './wrk.mjs';

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
