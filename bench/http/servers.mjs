// The benchmarked servers' life cycle: preparing each (npm ci for the peers, a Release build
// of ssot), starting it pinned on its port with a fresh database, seeding rows over HTTP,
// reading its database's schema and journal mode, and stopping it with SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HERE, PEERS, ROOT, pinned, run, sleep, tryRun } from './shell.mjs';

export const SERVERS = {
  ssot: { label: 'ssot', short: 'ssot', port: 18180 },
  uws: { label: 'uWS.js + better-sqlite3', short: 'uWS.js', port: 18181 },
  express: { label: 'Express + better-sqlite3', short: 'Express', port: 18182 },
};

// The running Node's headers, beside its binary: <prefix>/include/node, as the Debian/NodeSource
// package (/usr) and the Node scripts/install-deps.sh takes from the npm registry
// (/usr/local/lib/ssot-node) have them. better-sqlite3 compiles against them, since node-gyp
// cannot download headers where only the npm registry is reachable.
function systemNodeDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  try {
    const header = fs.readFileSync(path.join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => new RegExp(`define NODE_${k}_VERSION (\\d+)`).exec(header)?.[1]);
    return `v${v.join('.')}` === process.version ? prefix : null;
  } catch {
    return null;
  }
}

// The peers install from their lock files (npm ci) the first time; better-sqlite3 compiles
// from source (its prebuilt binaries are downloaded from GitHub, which may be unreachable).
export function preparePeer(name) {
  const dir = path.join(PEERS, name);
  if (!fs.existsSync(path.join(dir, 'node_modules', '.package-lock.json'))) {
    console.error(`bench/http: installing the ${name} peer (npm ci in bench/peers/${name}; compiling better-sqlite3 takes a few minutes)`);
    const env = { ...process.env };
    const nodedir = systemNodeDir();
    if (nodedir && !env.npm_config_nodedir) env.npm_config_nodedir = nodedir;
    run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return { cmd: 'node', args: [path.join(dir, 'server.js')], dir };
}

// ssot: the given binary, or a Release build of this tree in build-bench/. Returns { skip }
// with the reason when there is no binary to run.
export function prepareSsot(o) {
  if (o.ssot) {
    if (!fs.existsSync(o.ssot)) return { skip: `--ssot ${o.ssot}: no such file` };
    return { binary: o.ssot };
  }
  const build = path.join(ROOT, 'build-bench');
  try {
    console.error('bench/http: building ssot (Release) in build-bench/');
    run('cmake', ['-S', ROOT, '-B', build, '-DCMAKE_BUILD_TYPE=Release'], { stdio: ['ignore', 'ignore', 'pipe'] });
    run('cmake', ['--build', build, '-j2', '--target', 'ssot'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const lines = err.message.split('\n');
    const first = lines.find((l) => /error:/.test(l)) || lines.slice(-3).join(' ');
    return { skip: `the ssot build failed (run cmake --build build-bench to see why): ${first.trim()}` };
  }
  return { binary: path.join(build, 'ssot') };
}

// commandFor(name, prepared, port, db, config) -> [command, args] serving on 127.0.0.1:port
// with the database file db; ssot serves config (this benchmark's config.lua by default).
export function commandFor(name, prepared, port, db, config = path.join(HERE, 'config.lua')) {
  if (name === 'ssot') {
    return [prepared.binary, ['serve', config, '--host', '127.0.0.1', '--port', String(port), '--db', db, '--quiet']];
  }
  return [prepared.cmd, [...prepared.args, '--host', '127.0.0.1', '--port', String(port), '--db', db]];
}

// start(name, o, prepared, work, how) -> { child, pid, base, port, db, logFile } once GET
// /healthz answers 200, or { skip } with the server's own words when it exits or never
// answers. how (for other benchmarks): { port, config, wrap(cmd, args) -> [cmd, args], db:
// the database (a file or, for ssot, a postgresql:// URL) instead of a fresh file in work }.
export async function start(name, o, prepared, work, how = {}) {
  const port = how.port ?? SERVERS[name].port;
  const db = how.db ?? path.join(work, `${name}.db`);
  const logFile = path.join(work, `${name}.log`);
  const [serverCmd, serverArgs] = commandFor(name, prepared, port, db, how.config);
  const [cmd, args] = pinned(o, o.serverCpu, ...(how.wrap ? how.wrap(serverCmd, serverArgs) : [serverCmd, serverArgs]));
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

// stop(server) -> how it ended: SIGTERM first (a clean shutdown closes the database).
export async function stop(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return 'had already exited';
  const ended = new Promise((resolve) => server.child.on('exit', (code, signal) => resolve(signal || code)));
  server.child.kill('SIGTERM');
  const timeout = sleep(10000).then(() => 'timeout');
  const how = await Promise.race([ended, timeout]);
  if (how === 'timeout') {
    server.child.kill('SIGKILL');
    return 'did not stop within 10 s of SIGTERM (killed)';
  }
  return how === 0 ? 'stopped cleanly' : `exited with ${how} on SIGTERM`;
}

// seed(base, rows, rooms): rows created over HTTP, 8 at a time; ids must come out 1..rows.
export async function seed(base, rows, rooms) {
  let next = 0;
  async function worker() {
    while (next < rows) {
      const i = next++;
      const body = JSON.stringify({ roomId: (i % rooms) + 1, author: `seed-${i % 50}`, text: `Seeded message ${i + 1}: the quick brown fox jumps over the lazy dog.` });
      const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(10000) });
      if (res.status !== 201) throw new Error(`seeding row ${i + 1}: status ${res.status}: ${(await res.text()).slice(0, 200)}`);
      await res.arrayBuffer().catch(() => {});
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  const last = await fetch(`${base}/api/messages/${rows}`, { signal: AbortSignal.timeout(10000) });
  if (last.status !== 200) throw new Error(`after seeding, GET /api/messages/${rows} answered ${last.status}: ids are not 1..${rows}`);
}

// The DDL of the model's table, its index and the change-stream tables, the state of the
// change stream (recorded floor; events kept, oldest and newest offset, and the events per
// kind), and the journal mode, read from the database file: the report notes any server
// whose tables or stream differ from the others' after the same requests.
export function inspectDatabase(db) {
  const schema = tryRun('sqlite3', ['-readonly', db,
    "SELECT sql FROM sqlite_master WHERE tbl_name IN ('messages', '_ssot_streams', '_ssot_changes') AND sql IS NOT NULL ORDER BY name;"]);
  const stream = tryRun('sqlite3', ['-readonly', db,
    `SELECT 'floor ' || "offset" FROM _ssot_streams WHERE model = 'Message';
     SELECT 'events ' || count(*) || ', offsets ' || min("offset") || '..' || max("offset") FROM _ssot_changes WHERE model = 'Message';
     SELECT event || ' ' || count(*) FROM _ssot_changes WHERE model = 'Message' GROUP BY event ORDER BY event;`]);
  const journal = tryRun('sqlite3', ['-readonly', db, 'PRAGMA journal_mode;']);
  return {
    schema: schema.replace(/\s+/g, ' ').replace(/ ?([(),]) ?/g, '$1').replace(/IF NOT EXISTS /g, '').trim(),
    stream: stream.split('\n').join('; '),
    journal,
  };
}
