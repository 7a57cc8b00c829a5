// The benchmark's PostgreSQL: a throwaway server from tests/support/pg.sh with its durable
// defaults (SSOT_PG_DURABLE=1), a fresh database per case, its processes pinned to the
// servers' CPU, the CPU time they used, its version and commit settings, and stopping it.
// Uses tests/support/pg.sh, psql, taskset and ps; bench/http/shell.mjs and cpu.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseProcessTicks } from '../http/cpu.mjs';
import { ROOT, tryRun } from '../http/shell.mjs';
import { withDatabase } from './cases.mjs';

const PG_SH = path.join(ROOT, 'tests/support/pg.sh');

// startPostgres(dir) -> { dir, url, bin } of a server started in dir (a new directory), or
// { skip } with pg.sh's words (PostgreSQL not installed: exit 77).
export function startPostgres(dir) {
  const r = spawnSync('sh', [PG_SH, 'start', dir], { encoding: 'utf8', env: { ...process.env, SSOT_PG_DURABLE: '1' } });
  if (r.status !== 0) return { skip: `tests/support/pg.sh start failed (${r.status}): ${(r.stderr || '').trim().split('\n').pop()}` };
  const bin = spawnSync('sh', [PG_SH, 'bin'], { encoding: 'utf8' }).stdout.trim();
  return { dir, url: r.stdout.trim(), bin };
}

// psql(pg, url, sql) -> its output, or throws with its error.
export function psql(pg, url, sql) {
  const r = spawnSync(path.join(pg.bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

// createDatabase(pg, name) -> the URL of a new, empty database of that server.
export function createDatabase(pg, name) {
  psql(pg, pg.url, `CREATE DATABASE ${name}`);
  return withDatabase(pg.url, name);
}

// postgresPids(pg) -> the postmaster and every process it started (background workers and
// one backend per connection, the nodes' among them), or [] when it is not running.
export function postgresPids(pg) {
  let main;
  try {
    main = Number(fs.readFileSync(path.join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return [];
  }
  const children = tryRun('ps', ['-o', 'pid=', '--ppid', String(main)]);
  return [main, ...(children === 'unknown' ? [] : children.split(/\s+/).filter(Boolean).map(Number))];
}

// parseReapedTicks(text) -> cutime + cstime of /proc/<pid>/stat: the CPU time of the children
// the process has waited for (fields 16 and 17 of the whole line).
export function parseReapedTicks(text) {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[13]) + Number(fields[14]);
}

// postgresTicks(pg) -> the CPU ticks PostgreSQL used so far: the postmaster's own and those of
// the children it reaped (an autovacuum worker that ended), and every live child's. A
// process that ends between two samples moves from the children's sum to the reaped ticks,
// so the difference of two samples is PostgreSQL's CPU time in between.
export function postgresTicks(pg) {
  const [main, ...children] = postgresPids(pg);
  if (!main) return 0;
  const stat = (pid) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const first = stat(main);
  let ticks = parseProcessTicks(first) + parseReapedTicks(first);
  for (const pid of children) {
    try {
      ticks += parseProcessTicks(stat(pid));
    } catch {
      // ended since it was listed: its ticks are in the postmaster's reaped ones
    }
  }
  return ticks;
}

// pinPostgres(pg, cpu): every PostgreSQL process onto cpu; backends forked later (the nodes'
// connections) inherit the postmaster's affinity.
export function pinPostgres(pg, cpu) {
  for (const pid of postgresPids(pg)) {
    const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' });
    if (r.status !== 0 && fs.existsSync(`/proc/${pid}`)) throw new Error(`taskset -p ${pid}: ${r.stderr.trim()}`);
  }
}

// postgresVersion(pg) -> "PostgreSQL 15.x" and settings(pg) -> the commit settings in force,
// read back from the server so the report shows what was measured.
export const postgresVersion = (pg) => tryRun(path.join(pg.bin, 'postgres'), ['--version']).replace(/^postgres \(PostgreSQL\) /, 'PostgreSQL ');
export function settings(pg) {
  const names = ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers'];
  return names.map((n) => `${n} ${psql(pg, pg.url, `SHOW ${n}`)}`).join(', ');
}

// stopPostgres(pg): pg.sh stop (immediate shutdown; it removes the directory).
export function stopPostgres(pg) {
  spawnSync('sh', [PG_SH, 'stop', pg.dir], { stdio: 'ignore' });
}
