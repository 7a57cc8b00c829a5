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
function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// measureAll(o, servers) -> one result per server, operation and connection count: the
// medians of o.rounds measurements, errors summed. servers: [[name, baseUrl], ...]. Order:
// operation (create last, so get and list see only the seeded rows), round, connection
// count, server — so a server's figure is taken within seconds of the others'.
export function measureAll(o, servers) {
  const runs = [];
  for (const op of o.ops) {
    for (let round = 1; round <= o.rounds; round++) {
      for (const c of o.connections) {
        for (const [name, base] of servers) {
          if (o.warmup > 0) wrk(o, base, op, c, o.warmup);
          const r = parseWrk(wrk(o, base, op, c, o.duration));
          runs.push({ server: name, op, connections: c, ...r });
          const wrong = problems(r);
          console.error(`bench/http: ${op} c=${c} round ${round}: ${name} ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms${wrong ? `, ${wrong}` : ''}`);
        }
      }
    }
  }
  const results = [];
  for (const op of o.ops) {
    for (const c of o.connections) {
      for (const [name] of servers) {
        const mine = runs.filter((r) => r.server === name && r.op === op && r.connections === c);
        const socketErrors = {};
        for (const r of mine) {
          for (const [kind, n] of Object.entries(r.socketErrors)) socketErrors[kind] = (socketErrors[kind] || 0) + n;
        }
        results.push({
          server: name, op, connections: c,
          rps: median(mine.map((r) => r.rps)), p99Ms: median(mine.map((r) => r.p99Ms)),
          requests: mine.reduce((a, r) => a + r.requests, 0), non2xx: mine.reduce((a, r) => a + r.non2xx, 0), socketErrors,
        });
      }
    }
  }
  return results;
}
