// The WebSocket benchmark's servers: the HTTP benchmark's life cycle (bench/http/servers.mjs:
// installing the peers, building ssot, stopping, seeding, reading the database) with this
// benchmark's ports, ssot serving bench/ws/config.lua, and every server allowed as many open
// descriptors as the hard limit (5,000 subscribers are 5,000 sockets); and reading a
// server's memory from /proc.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVERS as HTTP_SERVERS } from '../http/servers.mjs';
import { ROOT, pinned, sleep } from '../http/shell.mjs';

export { preparePeer, prepareSsot, seed, stop, inspectDatabase } from '../http/servers.mjs';

export const HERE = path.dirname(fileURLToPath(import.meta.url));

// The HTTP benchmark's labels on ports of their own, so both benchmarks can run at once.
export const SERVERS = {
  ssot: { ...HTTP_SERVERS.ssot, port: 18280 },
  uws: { ...HTTP_SERVERS.uws, label: 'uWS.js + better-sqlite3', port: 18281 },
  express: { ...HTTP_SERVERS.express, label: 'Express + ws + better-sqlite3', port: 18282 },
};

// commandFor(name, prepared, port, db) -> [command, args] serving on 127.0.0.1:port.
export function commandFor(name, prepared, port, db) {
  if (name === 'ssot') {
    return [prepared.binary, ['serve', path.join(HERE, 'config.lua'), '--host', '127.0.0.1', '--port', String(port), '--db', db, '--quiet']];
  }
  return [prepared.cmd, [...prepared.args, '--host', '127.0.0.1', '--port', String(port), '--db', db]];
}

// withFileLimit(cmd, args) -> [sh, args] running cmd with the soft descriptor limit raised to
// the hard one (the shell execs it: the server keeps the pid).
export const withFileLimit = (cmd, args) => ['sh', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$@"', 'sh', cmd, ...args]];

// start(name, o, prepared, work) -> { child, pid, base, port, db, logFile } once GET /healthz
// answers 200, or { skip } with the server's own words when it exits or never answers.
export async function start(name, o, prepared, work) {
  const port = SERVERS[name].port;
  const db = path.join(work, `${name}.db`);
  const logFile = path.join(work, `${name}.log`);
  const [serverCmd, serverArgs] = commandFor(name, prepared, port, db);
  const [cmd, args] = pinned(o, o.serverCpu, ...withFileLimit(serverCmd, serverArgs));
  const inRoot = (p) => (p.startsWith(`${ROOT}/`) ? path.relative(ROOT, p) : p);
  const shown = `${inRoot(serverCmd)} ${inRoot(serverArgs[0])}`;
  const log = fs.openSync(logFile, 'w');
  const child = spawn(cmd, args, { cwd: work, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited = null;
  child.on('exit', (code, signal) => { exited = signal || code; });
  const base = `http://127.0.0.1:${port}`;
  const tail = () => fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' / ');
  for (let waited = 0; waited < 20000; waited += 100) {
    await sleep(100);
    if (exited !== null) return { skip: `\`${shown}\` exited (${exited}) before serving: ${tail() || 'no output'}` };
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return { child, pid: child.pid, base, port, db, logFile };
    } catch {
      // not listening yet
    }
  }
  child.kill('SIGKILL');
  return { skip: `no answer from ${base}/healthz within 20 s: ${tail() || 'no output'}` };
}

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
