// The PostgreSQL benchmark's pure parts: the cases it measures (SQLite on one node, PostgreSQL
// on one node and on two nodes sharing one database), its command line, splitting a wrk load
// over the nodes and adding their figures up, a database URL for another database of the
// same server, and the markdown report. Kept apart from run.mjs so the tests can call them.
// Uses bench/http's report cells (req/s, p99), bench/ws's (deliveries, latency, CPU) and its
// option checks (list, positive, UsageError).
import os from 'node:os';
import { formatCell as restCell } from '../http/report.mjs';
import { formatCell as fanoutCell, formatSaturation } from '../ws/report.mjs';
import { checkShared, list, positive, sharedOption, UsageError } from '../ws/options.mjs';

export { UsageError };

// Each case's nodes listen on their own ports, apart from bench/http's (1818x) and bench/ws's
// (1828x), so the three benchmarks can run at once.
export const CASES = {
  sqlite: { label: 'SQLite, 1 node', store: 'sqlite', ports: [18380] },
  pg1: { label: 'PostgreSQL, 1 node', store: 'postgres', ports: [18381] },
  pg2: { label: 'PostgreSQL, 2 nodes', store: 'postgres', ports: [18382, 18383] },
};
export const CASE_NAMES = Object.keys(CASES);
export const OPERATIONS = ['get', 'list', 'create'];

export const USAGE = `usage: node bench/postgres/run.mjs [options]
  --cases LIST         of sqlite,pg1,pg2 (default: all three)
  --ops LIST           REST operations, of get,list,create (default: all; create runs last)
  --connections LIST   wrk connections in all, split evenly over a case's nodes (default: 10,100)
  --subscribers LIST   WebSocket subscribers on Message:list, all on the first node (default: 1000)
  --rate N             writes/s in the fan-out, through the last node (default: 40)
  --saturate           also double the fan-out's rate each step until a step is not sustained
  --steps N            most rate steps with --saturate (default: 6)
  --duration SECONDS   each measured window (default: 10)
  --warmup SECONDS     load before each window, not counted (default: 2)
  --rounds N           measure everything N times, cases in rotated order; medians (default: 1)
  --no-rest            skip the REST measurements
  --no-fanout          skip the fan-out measurements
  --rows N             rows seeded before measuring (default: 2000)
  --rooms N            roomId values of the rows and the list requests (default: 20)
  --threads N          wrk threads per wrk process (default: 1)
  --ssot PATH          the ssot binary (default: build it in build-bench/, Release)
  --server-cpu N       CPU the nodes and PostgreSQL are pinned to with taskset (default: 0)
  --client-cpu N       CPU wrk and the load generator are pinned to (default: 1)
  --no-pin             pin nothing
  --max-other PERCENT  measure again when other work took more than this share of a CPU (default: 10)
  --attempts N         measure at most N times, keeping the least disturbed (default: 2)
  --check-only         start every case, seed it, run the REST contract check on every node and a
                       short fan-out check; no measurement
  --out FILE           also write the markdown report to FILE
  --raw FILE           also write every measurement as JSON to FILE
PostgreSQL: a throwaway server from tests/support/pg.sh with SSOT_PG_DURABLE=1 (fsync and
synchronous_commit on, as SQLite's commits are durable). Ports 18380-18383 on 127.0.0.1.`;

// parseArgs(argv) -> the options, in the shape bench/http's wrk.mjs and bench/ws's
// loadgen.mjs read (rows, rooms, threads, pin, serverCpu, clientCpu; channels, writers,
// drain, maxP99, settle), or a UsageError.
export function parseArgs(argv) {
  const o = {
    cases: [...CASE_NAMES], ops: [...OPERATIONS], connections: [10, 100], subscribers: [1000], rate: 40,
    saturate: false, steps: 6, duration: 10, warmup: 2, rounds: 1, rest: true, fanout: true, rows: 2000, rooms: 20,
    threads: 1, ssot: '', serverCpu: 0, clientCpu: 1, pin: true, maxOther: 0.1, attempts: 2, checkOnly: false,
    out: '', raw: '', help: false,
    // the fan-out's fixed settings, bench/ws's defaults
    channels: 100, writers: 8, drain: 5, maxP99: 1000, settle: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${flag}: missing value`);
      return argv[++i];
    };
    switch (flag) {
      case '--cases': {
        const chosen = list(flag, value(), CASE_NAMES);
        o.cases = CASE_NAMES.filter((c) => chosen.includes(c));
        break;
      }
      case '--ops': {
        const chosen = list(flag, value(), OPERATIONS);
        o.ops = OPERATIONS.filter((op) => chosen.includes(op)); // create always runs last
        break;
      }
      case '--connections': o.connections = list(flag, value()).map((n) => positive(flag, n)); break;
      case '--subscribers': o.subscribers = list(flag, value()).map((n) => positive(flag, n)); break;
      case '--rate': o.rate = positive(flag, value(), false); break;
      case '--saturate': o.saturate = true; break;
      case '--steps': o.steps = positive(flag, value()); break;
      case '--duration': o.duration = positive(flag, value()); break;
      case '--warmup': {
        o.warmup = Number(value());
        if (!Number.isFinite(o.warmup) || o.warmup < 0) throw new UsageError('--warmup: expected a number of seconds ≥ 0');
        break;
      }
      case '--rounds': o.rounds = positive(flag, value()); break;
      case '--no-rest': o.rest = false; break;
      case '--no-fanout': o.fanout = false; break;
      case '--rows': o.rows = positive(flag, value()); break;
      case '--rooms': o.rooms = positive(flag, value()); break;
      case '--threads': o.threads = positive(flag, value()); break;
      default: if (!sharedOption(o, flag, value)) throw new UsageError(`unknown option '${flag}'`);
    }
  }
  checkShared(o);
  if (o.rows < o.rooms * 20) throw new UsageError(`--rows ${o.rows}: need at least 20 rows per room (--rooms ${o.rooms}) for full pages`);
  const most = Math.max(...o.cases.map((c) => CASES[c].ports.length));
  const few = o.connections.find((c) => c < most);
  if (few !== undefined) throw new UsageError(`--connections ${few}: at least one per node (${most} nodes)`);
  o.subscribers = [...new Set(o.subscribers)].sort((a, b) => a - b);
  return o;
}

// splitConnections(connections, nodes) -> wrk connections per node: as even as can be, the
// first nodes taking the remainder (101 over 2: 51, 50).
export function splitConnections(connections, nodes) {
  return Array.from({ length: nodes }, (_, i) => Math.floor(connections / nodes) + (i < connections % nodes ? 1 : 0));
}

// combineWrk(results) -> one measurement of a case from its nodes' wrk figures (parseWrk's),
// taken over the same seconds: requests/s, requests and errors added up; the p99 is the
// highest node's (wrk gives no histogram to merge, and the slower node's is the bound a
// client behind a load balancer sees).
export function combineWrk(results) {
  const socketErrors = {};
  for (const r of results) {
    for (const [kind, n] of Object.entries(r.socketErrors)) socketErrors[kind] = (socketErrors[kind] || 0) + n;
  }
  return {
    rps: results.reduce((a, r) => a + r.rps, 0),
    p99Ms: Math.max(...results.map((r) => r.p99Ms)),
    requests: results.reduce((a, r) => a + r.requests, 0),
    non2xx: results.reduce((a, r) => a + r.non2xx, 0),
    socketErrors,
    perNode: results.map((r) => ({ rps: r.rps, p99Ms: r.p99Ms })),
  };
}

// withDatabase(url, name) -> the libpq URL (postgresql:///DB?...) naming another database of
// the same server: each case gets a fresh one.
export function withDatabase(url, name) {
  const m = /^(postgres(?:ql)?:\/\/[^/?]*\/)([^?]*)(\?.*)?$/.exec(url);
  if (!m) throw new Error(`not a postgresql:// URL with a database: ${url}`);
  return `${m[1]}${encodeURIComponent(name)}${m[3] ?? ''}`;
}

const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '—');

// restTable(o, results) -> the REST rows: per operation and connection count, each case's
// median req/s and p99 (bench/http's cells), and PostgreSQL's ratios of requests/s to SQLite's
// and of two nodes to one.
export function restTable(o, results) {
  const cases = o.cases.filter((c) => results.some((r) => r.server === c));
  if (!cases.length) return [];
  const ratios = [];
  if (cases.includes('pg1') && cases.includes('sqlite')) ratios.push(['pg1', 'sqlite', 'PostgreSQL 1 node / SQLite']);
  if (cases.includes('pg2') && cases.includes('pg1')) ratios.push(['pg2', 'pg1', 'PostgreSQL 2 nodes / 1 node']);
  const lines = [
    `| operation | connections | ${cases.map((c) => CASES[c].label).join(' | ')} |${ratios.map(([, , t]) => ` ${t} |`).join('')}`,
    `| --- | ---: |${cases.map(() => ' ---: |').join('')}${ratios.map(() => ' ---: |').join('')}`,
  ];
  const names = { get: 'get by id', list: 'list (take 20)', create: 'create' };
  for (const op of o.ops) {
    for (const c of o.connections) {
      const at = (name) => results.find((r) => r.server === name && r.op === op && r.connections === c);
      if (!cases.some(at)) continue;
      const cells = cases.map((name) => restCell(at(name)));
      const rs = ratios.map(([a, b]) => `${ratio(at(a)?.rps, at(b)?.rps)} req/s`);
      lines.push(`| ${names[op]} | ${c} | ${[...cells, ...rs].join(' | ')} |`);
    }
  }
  return lines;
}

// fanoutTable(o, results) -> the fan-out rows: per case and subscriber count, bench/ws's cell
// (deliveries/s, p50, p99, server-side CPU per delivery) and, with --saturate, its
// saturation cell.
export function fanoutTable(o, results) {
  const rows = o.cases.flatMap((c) => o.subscribers.map((n) => results.find((r) => r.server === c && r.subscribers === n)).filter(Boolean));
  if (!rows.length) return [];
  const where = { pg2: ' (subscribers on node A, writes through node B)' };
  const lines = [
    `| case | subscribers | writes/s | deliveries/s, latency, CPU per delivery |${o.saturate ? ' saturation |' : ''}`,
    `| --- | ---: | ---: | ---: |${o.saturate ? ' ---: |' : ''}`,
  ];
  for (const r of rows) {
    lines.push(`| ${CASES[r.server].label}${where[r.server] ?? ''} | ${r.subscribers.toLocaleString('en-US')} | ${r.rate ?? '?'} | ${fanoutCell(r)} |` +
      `${o.saturate ? ` ${formatSaturation(r)} |` : ''}`);
  }
  return lines;
}

// report(o, { rest, fanout, notes, versions, command, startedAt, pgSettings }) -> the markdown.
export function report(o, { rest = [], fanout = [], notes = [], versions: v = {}, command, startedAt = new Date(), pgSettings = '' }) {
  const cpus = os.cpus();
  const lines = [
    `## PostgreSQL beside SQLite: REST and fan-out, one node and two`,
    '',
    `Run ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus.length} × ${cpus[0]?.model?.trim() || 'unknown CPU'}, ` +
      `Linux ${os.release()}, load average ${o.loadBefore ? o.loadBefore.map((l) => l.toFixed(2)).join(' ') : '?'} before the run.`,
    '',
    '```sh',
    command,
    '```',
    '',
    o.pin
      ? `Everything shares this machine: the ssot nodes and PostgreSQL on CPU ${o.serverCpu}, wrk and the load generator on CPU ${o.clientCpu} ` +
        '(taskset). Two nodes on one CPU show what crossing nodes costs, not what a second machine adds.'
      : 'Nothing pinned: the nodes, PostgreSQL, wrk and the load generator share every CPU.',
    '',
  ];
  const restLines = restTable(o, rest);
  if (restLines.length) {
    lines.push(`### REST (wrk, bench/http/requests.lua; ${o.duration} s windows after ${o.warmup} s of warm-up, median of ${o.rounds} round(s))`, '',
      'With two nodes, the connections are split over the nodes (one wrk each, at the same time): requests/s added up, ' +
      'the p99 of the slower node.', '', ...restLines, '');
  }
  const fanLines = fanoutTable(o, fanout);
  if (fanLines.length) {
    lines.push(`### Fan-out (bench/ws/loadgen.c, list scenario: every subscriber on Message:list, each POST delivered to all; ${o.duration} s windows)`, '',
      'Latency is from sending the write to each subscriber receiving its event; CPU per delivery is the user + system time of ' +
      'every server-side process (the nodes and, on PostgreSQL, every PostgreSQL process) over the window ÷ deliveries.', '',
      ...fanLines, '');
  }
  lines.push('### Versions', '');
  for (const [k, value] of Object.entries(v)) lines.push(`- ${k}: ${value}`);
  if (pgSettings) lines.push(`- PostgreSQL settings: ${pgSettings}`);
  if (notes.length) {
    lines.push('', '### Notes', '');
    for (const n of notes) lines.push(`- ${n}`);
  }
  return `${lines.join('\n')}\n`;
}
