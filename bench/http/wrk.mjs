// Runs wrk (pinned to the client CPU) with requests.lua for one operation and reads its
// requests/s, p99 latency and error counts.
import path from 'node:path';
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

// wrk(o, base, op, connections, seconds) -> wrk's output for one run.
function wrk(o, base, op, connections, seconds) {
  const arg = op === 'get' ? o.rows : o.rooms;
  const threads = Math.min(o.threads, connections);
  const [cmd, args] = pinned(o, o.clientCpu, 'wrk', [
    // A generous timeout: a slow answer counts in the latency instead of vanishing from it.
    '-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '--latency',
    '-s', path.join(HERE, 'requests.lua'), base, '--', op, String(arg)]);
  return run(cmd, args);
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
// they first appear: the medians of the rounds' requests/s and p99, their range (min, max)
// and the errors summed over the rounds.
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
    };
  });
}

// measureAll(o, servers) -> { runs, results }: every measurement of plan() and their
// summarize(); servers: [[name,
// baseUrl], ...]. Each measurement is preceded by o.warmup seconds of the same load on the
// same server (not counted), so every server is warm (JIT, caches, connections) when timed.
export function measureAll(o, servers) {
  const bases = new Map(servers);
  const runs = [];
  for (const step of plan(o.ops, o.rounds, o.connections, servers.map(([name]) => name))) {
    const { op, round, connections: c, server: name } = step;
    const base = bases.get(name);
    if (o.warmup > 0) wrk(o, base, op, c, o.warmup);
    const r = parseWrk(wrk(o, base, op, c, o.duration));
    runs.push({ ...step, ...r });
    const wrong = problems(r);
    console.error(`bench/http: ${op} c=${c} round ${round}: ${name} ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms${wrong ? `, ${wrong}` : ''}`);
  }
  return { runs, results: summarize(runs) };
}
