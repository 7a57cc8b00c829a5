// Tests of the benchmark's report cells and its note on other work (report.mjs).
// Run: node --test bench/
import test from 'node:test';
import assert from 'node:assert/strict';
import { disturbed, formatCell } from './report.mjs';

const cell = (extra) => ({
  rounds: 1, rps: 12345.6, rpsMin: 12345.6, rpsMax: 12345.6, p99Ms: 1.234, p99Min: 1.234, p99Max: 1.234,
  non2xx: 0, socketErrors: {}, ...extra,
});

test('a cell: requests/s and p99, with the range over several rounds and what went wrong', () => {
  assert.equal(formatCell(cell()), '12,346 req/s, p99 1.23 ms');
  assert.equal(formatCell(cell({ rounds: 5, rpsMin: 9000, rpsMax: 15000.4, p99Max: 25.55, p99Min: 0.9 })),
    '12,346 req/s (9,000–15,000), p99 1.23 ms (0.90–25.6)');
  assert.equal(formatCell(cell({ non2xx: 3, socketErrors: { timeout: 2 } })), '12,346 req/s, p99 1.23 ms ⚠ 3 non-2xx, 2 timeout');
  assert.equal(formatCell(undefined), '—');
});

test('the note on other work: median and largest share kept, measurements taken again', () => {
  const o = { maxOther: 0.15, attempts: 3 };
  const runs = [
    { other: { server: 0.05, client: 0.02 }, attempts: 1 },
    { other: { server: 0.1, client: 0.2 }, attempts: 3 },
    { other: { server: 0.01, client: 0.07 }, attempts: 2 },
  ];
  assert.equal(disturbed(o, runs), 'Other work on the two CPUs during the measurements kept: median 7%, at most 20% of a CPU ' +
    '(the loopback\'s network processing counts here, a few percent); 3 measurement(s) taken again because other work ' +
    'took more than 15% (at most 3 attempts, the least disturbed kept).');
  assert.equal(disturbed(o, [{ other: null, attempts: 1 }]), '');
});
