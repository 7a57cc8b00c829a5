// Runs wrk (pinned to the client CPU) with requests.lua for one operation and reads its
// requests/s, p99 latency and error counts.
import path from 'node:path';
import { HERE, pinned, run } from './shell.mjs';

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60000 };

// parseWrk(text) -> { rps, p99Ms, requests, errors } from `wrk --latency` output.
export function parseWrk(text) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const requests = /(\d+) requests in/.exec(text);
  if (!rps || !p99 || !requests) throw new Error(`cannot read wrk's output:\n${text}`);
  let errors = 0;
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  if (non2xx) errors += Number(non2xx[1]);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (socket) errors += socket.slice(1).reduce((a, b) => a + Number(b), 0);
  return { rps: Number(rps[1]), p99Ms: Number(p99[1]) * UNIT_MS[p99[2]], requests: Number(requests[1]), errors };
}

// wrk(o, base, op, connections, seconds) -> wrk's output for one run.
function wrk(o, base, op, connections, seconds) {
  const arg = op === 'get' ? o.rows : o.rooms;
  const threads = Math.min(o.threads, connections);
  const [cmd, args] = pinned(o, o.clientCpu, 'wrk', [
    '-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency',
    '-s', path.join(HERE, 'requests.lua'), base, '--', op, String(arg)]);
  return run(cmd, args);
}

// measure(o, name, server, results): every operation (in o.ops order: create last, so get
// and list see only the seeded rows) at every connection count, each after a warm-up run.
export function measure(o, name, server, results) {
  for (const op of o.ops) {
    for (const c of o.connections) {
      if (o.warmup > 0) wrk(o, server.base, op, c, o.warmup);
      const r = parseWrk(wrk(o, server.base, op, c, o.duration));
      results.push({ server: name, op, connections: c, ...r });
      console.error(`bench/http: ${name} ${op} c=${c}: ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms${r.errors ? `, ${r.errors} errors` : ''}`);
    }
  }
}
