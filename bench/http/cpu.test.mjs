// Tests of reading how busy the benchmark's CPUs were with other work (cpu.mjs): a
// measurement is repeated on these figures, so they must be right.
// Run: node --test bench/
import test from 'node:test';
import assert from 'node:assert/strict';
import { otherWork, parseChildTimes, parseCpuLines, parseProcessTicks } from './cpu.mjs';

const procStat = (cpu0, cpu1) => `cpu  1 2 3 4 5 6 7 8 0 0
cpu0 ${cpu0.join(' ')} 0 0
cpu1 ${cpu1.join(' ')} 0 0
intr 12345
ctxt 999
`;

test('busy and total ticks per CPU from /proc/stat (idle and iowait are not busy)', () => {
  // user nice system idle iowait irq softirq steal
  const cpus = parseCpuLines(procStat([100, 1, 20, 300, 7, 2, 10, 3], [50, 0, 5, 10, 0, 0, 1, 0]));
  assert.deepEqual(cpus, { cpu0: { busy: 136, total: 443 }, cpu1: { busy: 56, total: 66 } });
});

test('a process\'s CPU ticks (utime + stime), even with spaces and parentheses in its name', () => {
  const line = '4242 (node (peer) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 40 0 0 20 0 11 0 100 0 0';
  assert.equal(parseProcessTicks(line), 290);
});

test('the CPU time of the shell\'s children from `times`', () => {
  assert.equal(parseChildTimes('0m0.000000s 0m0.001000s\n0m1.230000s 0m2.500000s\n'), 3.73);
  assert.equal(parseChildTimes('1m0.5s 0m0.5s\n'), 61);
  assert.equal(parseChildTimes('wrk: error\n'), null);
});

test('other work: each CPU\'s busy time not spent by the server (its CPU) or wrk (the other)', () => {
  const before = { cpus: parseCpuLines(procStat([0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0])), server: 1000 };
  // 5 s at 100 ticks/s: CPU 0 busy 450 ticks of which the server 400; CPU 1 busy 300, wrk 2.5 s
  const after = { cpus: parseCpuLines(procStat([400, 0, 50, 50, 0, 0, 0, 0], [200, 0, 100, 200, 0, 0, 0, 0])), server: 1400 };
  const other = otherWork(before, after, 0, 1, 2.5);
  assert.ok(Math.abs(other.server - 0.1) < 1e-9, `server ${other.server}`);
  assert.ok(Math.abs(other.client - 0.1) < 1e-9, `client ${other.client}`);
  assert.ok(Math.abs(other.clientBusy - 0.6) < 1e-9, `clientBusy ${other.clientBusy}`);
  // the pinning the other way round: wrk's 250 ticks of CPU 0's 450 busy leave 200 of 500
  const swapped = otherWork(before, after, 1, 0, 2.5);
  assert.ok(Math.abs(swapped.client - 0.4) < 1e-9, `client ${swapped.client}`);
  // unknown wrk time, unknown samples, a CPU that is not there
  assert.equal(otherWork(before, after, 0, 1, null).client, null);
  assert.equal(otherWork(null, after, 0, 1, 2.5), null);
  assert.equal(otherWork(before, after, 0, 7, 2.5), null);
  // never below 0: ticks are coarse, and the server's time may include a bit of another CPU
  assert.equal(swapped.server, 0);
});
