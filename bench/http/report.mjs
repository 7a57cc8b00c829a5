// The benchmark's markdown report: when and where it ran, the command, one table row per
// operation and connection count (req/s and p99 per server, ssot's ratio to each peer), the
// versions of everything measured, and notes (skipped servers, schema differences).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PEERS, ROOT, tryRun } from './shell.mjs';
import { SERVERS } from './servers.mjs';
import { disturbance, median, problems } from './wrk.mjs';

// versions(outcomes) -> the versions of Node, wrk, each peer's packages and ssot's tree.
export function versions(outcomes) {
  const v = {};
  v.node = process.version;
  // `wrk -v` prints its version and exits with 1.
  v.wrk = (spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout || 'wrk unknown').split('\n')[0].replace(/ +Copyright.*/, '');
  for (const name of ['uws', 'express']) {
    if (!outcomes[name] || outcomes[name].skip) continue;
    const dir = path.join(PEERS, name);
    const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
    const pkg = (p) => lock.packages[`node_modules/${p}`]?.version ?? 'missing';
    v[name] = name === 'uws'
      ? `uwebsockets ${pkg('uWebSockets.js')} (uWebSockets.js v20 binaries), better-sqlite3 ${pkg('better-sqlite3')}`
      : `express ${pkg('express')}, better-sqlite3 ${pkg('better-sqlite3')}`;
    v.peerSqlite = tryRun('node', ['-e', "import('better-sqlite3').then(m => console.log(new m.default(':memory:').prepare('select sqlite_version()').pluck().get()))"], { cwd: dir });
  }
  v.ssot = `${tryRun('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])}${tryRun('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : ''}`;
  // Debian's libwebsockets.pc says "4.1.6-".
  v.ssotLibs = `SQLite ${tryRun('pkg-config', ['--modversion', 'sqlite3'])}, libwebsockets ${tryRun('pkg-config', ['--modversion', 'libwebsockets']).replace(/-$/, '')}`;
  return v;
}

const thousands = (n) => Math.round(n).toLocaleString('en-US');
const ms = (v) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

// formatCell(result) -> "12,345 req/s, p99 1.23 ms" with, over several rounds, the range
// of the rounds' figures ("12,345 req/s (11,900–12,800), p99 1.23 ms (1.10–1.40)"), and what
// went wrong, when anything did.
export function formatCell(r) {
  if (!r) return '—';
  const spread = r.rounds > 1;
  const rps = `${thousands(r.rps)} req/s${spread ? ` (${thousands(r.rpsMin)}–${thousands(r.rpsMax)})` : ''}`;
  const p99 = `p99 ${ms(r.p99Ms)} ms${spread ? ` (${ms(r.p99Min)}–${ms(r.p99Max)})` : ''}`;
  const wrong = problems(r);
  return `${rps}, ${p99}${wrong ? ` ⚠ ${wrong}` : ''}`;
}

// disturbed(o, runs) -> a sentence on the other work the two CPUs did during the kept
// measurements, or '' when it is unknown (no pinning, no /proc).
export function disturbed(o, runs) {
  const known = runs.filter((r) => r.other);
  if (!known.length) return '';
  const shares = known.map(disturbance);
  const pct = (x) => `${Math.round(100 * x)}%`;
  const repeated = runs.reduce((a, r) => a + (r.attempts || 1) - 1, 0);
  return `Other work on the two CPUs during the measurements kept: median ${pct(median(shares))}, at most ${pct(Math.max(...shares))} ` +
    `of a CPU (the loopback's network processing counts here, a few percent); ${repeated} measurement(s) taken again ` +
    `because other work took more than ${pct(o.maxOther)} (at most ${o.attempts} attempts, the least disturbed kept).`;
}

// report(o, results, notes, versions, command, runs) -> the markdown text.
export function report(o, results, notes, v, command, runs = []) {
  const servers = o.servers.filter((s) => results.some((r) => r.server === s));
  const lines = [];
  const cpu = os.cpus()[0]?.model?.trim() || 'unknown CPU';
  const stamp = (d) => d.toISOString().replace(/\.\d+Z$/, 'Z');
  const span = o.startedAt ? `${stamp(o.startedAt)} to ${stamp(new Date())}` : stamp(new Date());
  lines.push(`Run ${span} on ${os.cpus().length} × ${cpu}, Linux ${os.release()}; ` +
    `load average ${o.loadBefore.map((l) => l.toFixed(2)).join(' ')} when it started (other work on the machine skews the figures).`);
  lines.push(`Command: \`${command}\``);
  lines.push('');
  lines.push(`Each server: fresh database, ${o.rows} rows seeded over HTTP in ${o.rooms} rooms; wrk ${o.threads} thread(s), ${o.duration} s per measurement after ${o.warmup} s of warm-up, ` +
    `servers measured in turn for each operation and connection count${o.rounds > 1 ? `, their order rotated each round; median of ${o.rounds} rounds (their range in parentheses)` : ''}; ` +
    (o.pin ? `servers pinned to CPU ${o.serverCpu}, wrk to CPU ${o.clientCpu}.` : 'no CPU pinning.'));
  const other = disturbed(o, runs);
  if (other) lines.push('', other);
  lines.push('');
  const header = ['operation', 'connections', ...servers.map((s) => SERVERS[s].label)];
  const peersPresent = servers.filter((s) => s !== 'ssot');
  const ratios = servers.includes('ssot') ? peersPresent : [];
  for (const p of ratios) header.push(`ssot vs ${SERVERS[p].short}`);
  lines.push(`| ${header.join(' | ')} |`);
  lines.push(`| ${header.map((h, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`);
  for (const op of o.ops) {
    for (const c of o.connections) {
      const find = (s) => results.find((r) => r.server === s && r.op === op && r.connections === c);
      const row = [op === 'list' ? 'list (take 20)' : op === 'get' ? 'get by id' : 'create', String(c), ...servers.map((s) => formatCell(find(s)))];
      for (const p of ratios) {
        const a = find('ssot');
        const b = find(p);
        row.push(a && b ? `${(a.rps / b.rps).toFixed(2)}× req/s, ${(a.p99Ms / b.p99Ms).toFixed(2)}× p99` : '—');
      }
      lines.push(`| ${row.join(' | ')} |`);
    }
  }
  lines.push('');
  lines.push(`Versions: Node ${v.node}; ${v.wrk}; ssot ${v.ssot} (${v.ssotLibs})` +
    (v.uws ? `; uws peer: ${v.uws}` : '') + (v.express ? `; express peer: ${v.express}` : '') +
    (v.peerSqlite ? ` (peers' SQLite ${v.peerSqlite}, bundled by better-sqlite3)` : '') + '.');
  if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}
