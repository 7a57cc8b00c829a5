// Runs wrk (pinned to the client CPU) with requests.lua for one operation and reads its
// requests/s, p99 latency and error counts; measures every server in a fair order, repeating
// a measurement that other work on the machine disturbed (cpu.mjs).
import path from 'node:path';
import { otherWork, parseChildTimes, sample } from './cpu.mjs';
import { HERE, pinned, run } from './shell.mjs';

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60000 };

// parseWrk(text) -> { rps, p99Ms, requests, non2xx, socketErrors } from `wrk --latency` output.
export function parseWrk(text) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const requests = /(\d+) requests in/.exec(text);
  if (!rps || !p99 || !requests) throw new Error(`cannot read wrk's output:\n${text}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = {};
  if (socket) {
    ['connect', 'read', 'write', 'timeout'].forEach((kind, i) => {
      if (Number(socket[i + 1])) socketErrors[kind] = Number(socket[i + 1]);
    });
  }
  return {
    rps: Number(rps[1]), p99Ms: Number(p99[1]) * UNIT_MS[p99[2]], requests: Number(requests[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0, socketErrors,
  };
}

// problems(result) -> what went wrong during a measurement ("12 non-2xx, 3 timeout"), or ''.
export function problems(r) {
  const parts = r.non2xx ? [`${r.non2xx} non-2xx`] : [];
  for (const [kind, n] of Object.entries(r.socketErrors)) parts.push(`${n} ${kind}`);
  return parts.join(', ');
}

// wrkCommand(o, base, op, connections, seconds) -> [command, args]: wrk with requests.lua
// for op, pinned to the client CPU, in a shell that then prints its children's CPU time on
// stderr (parseChildTimes reads it). Exported for benchmarks that run several wrk at once.
export function wrkCommand(o, base, op, connections, seconds) {
  const arg = op === 'get' ? o.rows : o.rooms;
  const threads = Math.min(o.threads, connections);
  return pinned(o, o.clientCpu, 'sh', ['-c', 'wrk "$@" && times >&2', 'sh',
    // A generous timeout: a slow answer counts in the latency instead of vanishing from it.
    '-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '--latency',
    '-s', path.join(HERE, 'requests.lua'), base, '--', op, String(arg)]);
}

// wrk(o, base, op, connections, seconds) -> { text: wrk's output, wrkSeconds: the CPU time
// it used (null if unknown) }.
function wrk(o, base, op, connections, seconds) {
  const [cmd, args] = wrkCommand(o, base, op, connections, seconds);
  const { stdout, stderr } = run(cmd, args, {}, true);
  return { text: stdout, wrkSeconds: parseChildTimes(stderr) };
}

// disturbance(result) -> the larger share of the server's CPU and of wrk's that other work
// took during the measurement (0 if unknown). Other work on wrk's CPU counts even when that
// CPU had time to spare: wrk then waits to be scheduled, and the server's figures drop
// (seen in runs here).
export function disturbance(r) {
  return r.other ? Math.max(r.other.server ?? 0, r.other.client ?? 0) : 0;
}

// median(values) -> the middle value (the mean of the two middle ones for an even count).
export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// plan(ops, rounds, connections, servers) -> the measurements in the order they run:
// [{ op, round, connections, server }]. Operation by operation (create last, so get and list
// see only the seeded rows); within one, round by round and connection count by count, every
// server in turn, so a server's figure is taken within seconds of the others'. The order of
// the servers rotates by one each round (A B C, B C A, C A B, ...): no server is always
// measured first or right after the same neighbour, and over a multiple of the number of
// servers in rounds each takes every place equally often.
export function plan(ops, rounds, connections, servers) {
  const steps = [];
  for (const op of ops) {
    for (let round = 1; round <= rounds; round++) {
      const shift = (round - 1) % servers.length;
      const order = [...servers.slice(shift), ...servers.slice(0, shift)];
      for (const c of connections) {
        for (const server of order) steps.push({ op, round, connections: c, server });
      }
    }
  }
  return steps;
}

// summarize(runs) -> one result per server, operation and connection count, in the order
// they first appear: the medians of the rounds' requests/s and p99, their range (min, max),
// the errors summed over the rounds, the most other work seen in a kept measurement
// (otherMax, null if unknown) and the measurements repeated because of it.
export function summarize(runs) {
  const groups = new Map();
  for (const r of runs) {
    const key = `${r.op}\n${r.connections}\n${r.server}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups.values()].map((mine) => {
    const { server, op, connections } = mine[0];
    const rps = mine.map((r) => r.rps);
    const p99 = mine.map((r) => r.p99Ms);
    const socketErrors = {};
    for (const r of mine) {
      for (const [kind, n] of Object.entries(r.socketErrors)) socketErrors[kind] = (socketErrors[kind] || 0) + n;
    }
    return {
      server, op, connections, rounds: mine.length,
      rps: median(rps), rpsMin: Math.min(...rps), rpsMax: Math.max(...rps),
      p99Ms: median(p99), p99Min: Math.min(...p99), p99Max: Math.max(...p99),
      requests: mine.reduce((a, r) => a + r.requests, 0), non2xx: mine.reduce((a, r) => a + r.non2xx, 0), socketErrors,
      otherMax: mine.some((r) => r.other) ? Math.max(...mine.map(disturbance)) : null,
      repeated: mine.reduce((a, r) => a + (r.attempts || 1) - 1, 0),
    };
  });
}

// measure(o, pid, base, op, c) -> one measurement: parseWrk's figures, other (otherWork) and
// attempts. With pinning, a measurement during which other work took more than o.maxOther of
// either CPU is taken again, up to o.attempts times; the least disturbed one is kept.
function measure(o, pid, base, op, c) {
  let best = null;
  let attempts = 0;
  while (attempts < o.attempts) {
    attempts++;
    const before = sample(pid);
    const { text, wrkSeconds } = wrk(o, base, op, c, o.duration);
    const after = sample(pid);
    const r = { ...parseWrk(text), other: o.pin ? otherWork(before, after, o.serverCpu, o.clientCpu, wrkSeconds) : null };
    if (!best || disturbance(r) < disturbance(best)) best = r;
    if (!r.other || disturbance(r) <= o.maxOther) break;
    if (attempts < o.attempts) {
      console.error(`bench/http: other work took ${Math.round(100 * disturbance(r))}% of a CPU; measuring again`);
    }
  }
  return { ...best, attempts };
}

// measureAll(o, servers) -> { runs, results }: every measurement of plan() and their
// summarize(); servers: [[name, baseUrl, pid], ...]. Each measurement is preceded by o.warmup seconds of the same load on
// the same server (not counted), so every server is warm (JIT, caches, connections) when timed.
export function measureAll(o, servers) {
  const byName = new Map(servers.map(([name, base, pid]) => [name, { base, pid }]));
  const runs = [];
  for (const step of plan(o.ops, o.rounds, o.connections, servers.map(([name]) => name))) {
    const { op, round, connections: c, server: name } = step;
    const { base, pid } = byName.get(name);
    if (o.warmup > 0) wrk(o, base, op, c, o.warmup);
    const r = measure(o, pid, base, op, c);
    runs.push({ ...step, ...r });
    const wrong = problems(r);
    const other = r.other ? `, other work ${Math.round(100 * disturbance(r))}%` : '';
    console.error(`bench/http: ${op} c=${c} round ${round}: ${name} ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms${wrong ? `, ${wrong}` : ''}${other}`);
  }
  return { runs, results: summarize(runs) };
}
