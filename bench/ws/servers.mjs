// The WebSocket benchmark's servers: the HTTP benchmark's life cycle (bench/http/servers.mjs:
// installing the peers, building ssot, starting, stopping, seeding, reading the database) with this
// benchmark's ports, ssot serving bench/ws/config.lua, and every server allowed as many open
// descriptors as the hard limit (5,000 subscribers are 5,000 sockets); and reading a
// server's memory from /proc.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVERS as HTTP_SERVERS, commandFor as httpCommandFor, start as httpStart } from '../http/servers.mjs';

export { preparePeer, prepareSsot, seed, stop, inspectDatabase } from '../http/servers.mjs';

export const HERE = path.dirname(fileURLToPath(import.meta.url));

// The HTTP benchmark's labels on ports of their own, so both benchmarks can run at once.
export const SERVERS = {
  ssot: { ...HTTP_SERVERS.ssot, port: 18280 },
  uws: { ...HTTP_SERVERS.uws, label: 'uWS.js + better-sqlite3', port: 18281 },
  express: { ...HTTP_SERVERS.express, label: 'Express + ws + better-sqlite3', port: 18282 },
};

// commandFor(name, prepared, port, db) -> [command, args]: ssot serves bench/ws/config.lua.
export const commandFor = (name, prepared, port, db) => httpCommandFor(name, prepared, port, db, path.join(HERE, 'config.lua'));

// withFileLimit(cmd, args) -> [sh, args] running cmd with the soft descriptor limit raised to
// the hard one (the shell execs it: the server keeps the pid).
export const withFileLimit = (cmd, args) => ['sh', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$@"', 'sh', cmd, ...args]];

// start(name, o, prepared, work) -> bench/http's start on this benchmark's port and config,
// with the descriptor limit raised.
export const start = (name, o, prepared, work) =>
  httpStart(name, o, prepared, work, { port: SERVERS[name].port, config: path.join(HERE, 'config.lua'), wrap: withFileLimit });

// parseStatusKib(text, key) -> the value in KiB of a line of /proc/<pid>/status ("VmRSS:
// 1234 kB"), or null.
export function parseStatusKib(text, key) {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

// memory(pid) -> { rss, peak } in KiB (VmRSS, VmHWM), or null where /proc is missing.
export function memory(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rss: parseStatusKib(text, 'VmRSS'), peak: parseStatusKib(text, 'VmHWM') };
  } catch {
    return null;
  }
}

// resetPeak(pid): VmHWM starts again from the current RSS (Linux: clear_refs 5), so a
// measurement's peak is its own; false where that is not allowed.
export function resetPeak(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
