// Process and path helpers shared by the HTTP benchmark's modules: the repo's paths, running a
// command (optionally pinned to a CPU with taskset) and reading what it printed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const PEERS = path.join(ROOT, 'bench/peers');

// run(cmd, args, opts, both) -> stdout (both: { stdout, stderr }), or throws with the
// command's stderr.
export function run(cmd, args, opts = {}, both = false) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${(r.stderr || r.stdout).trim()}`);
  return both ? { stdout: r.stdout, stderr: r.stderr } : r.stdout;
}

export function tryRun(cmd, args, opts) {
  try {
    return run(cmd, args, opts).trim();
  } catch {
    return 'unknown';
  }
}

export const pinned = (o, cpu, cmd, args) => (o.pin ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
