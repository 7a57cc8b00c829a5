// The WebSocket benchmark's markdown report: when and where it ran (with the background work
// found on the machine), the command, a table of deliveries/s, latency and server CPU per
// delivery per scenario and subscriber count at the --rate write rates, the saturation
// table (with --saturate), memory per idle connection and peak RSS, the load generator's own
// CPU use, the versions, and notes.
import os from 'node:os';
import { median } from '../http/wrk.mjs';
import { SERVERS } from './servers.mjs';
import { disturbance, niced, whyNotSustained } from './loadgen.mjs';

const thousands = (n) => Math.round(n).toLocaleString('en-US');
const ms = (v) => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : thousands(v));
const mib = (kib) => (kib / 1024).toFixed(1);
const pct = (x) => `${Math.round(100 * x)}%`;

// range(stat, format, rounds) -> "12 (10–14)" over several rounds, "12" over one.
function range(stat, format, rounds) {
  if (!stat) return '?';
  return rounds > 1 ? `${format(stat.median)} (${format(stat.min)}–${format(stat.max)})` : format(stat.median);
}

// formatCell(result) -> "123,456/s, p50 1.20 ms, p99 3.40 ms, 1.23 µs CPU" with the range of
// the rounds in parentheses, and a warning when a round did not sustain the rate.
export function formatCell(r) {
  if (!r) return '—';
  if (!r.deliveries) return `not measured${r.failures.length ? `: ${r.failures[0]}` : ''}`;
  const n = r.rounds;
  const parts = [
    `${range(r.deliveries, thousands, n)}/s`,
    `p50 ${range(r.p50, ms, n)} ms`,
    `p99 ${range(r.p99, ms, n)} ms`,
    `${range(r.cpuUs, (v) => v.toFixed(2), n)} µs CPU`,
  ];
  const unsustained = r.rounds - r.sustained;
  const warn = unsustained ? ` ⚠ not sustained in ${unsustained} of ${r.rounds}: ${r.problems.join('; ')}` : '';
  return parts.join(', ') + warn;
}

// formatSaturation(result) -> "412,000/s at 80 writes/s (p99 45 ms); 160/s: p99 2,300 ms".
export function formatSaturation(r) {
  if (!r) return '—';
  if (!r.best && !r.broke) return `not measured${r.failures.length ? `: ${r.failures[0]}` : ''}`;
  const best = r.best
    ? `${thousands(r.best.deliveries_per_s)}/s at ${thousands(r.best.rate)} writes/s (p99 ${ms(r.best.p99_ms)} ms, ${r.best.cpuPerDeliveryUs?.toFixed(2) ?? '?'} µs CPU)`
    : 'no rate sustained';
  const broke = r.broke
    ? `; at ${thousands(r.broke.rate)} writes/s ${thousands(r.broke.deliveries_per_s)}/s: ${whyNotSustained(r.broke)}`
    : '; every rate tried was sustained';
  return best + broke;
}

// ratio(a, b) -> "1.50× deliveries/s, 0.40× p99, 0.70× CPU" of ssot's medians to a peer's.
export function ratio(a, b) {
  if (!a?.deliveries || !b?.deliveries) return '—';
  const x = (p, q) => (p && q && q.median ? `${(p.median / q.median).toFixed(2)}×` : '?');
  return `${x(a.deliveries, b.deliveries)} deliveries/s, ${x(a.p99, b.p99)} p99, ${x(a.cpuUs, b.cpuUs)} CPU`;
}

// loadgenSentence(runs) -> how much of its CPU the load generator used in the windows.
export function loadgenSentence(runs) {
  const steps = runs.flatMap((r) => r.steps.map((s) => ({ ...s, server: r.server, scenario: r.scenario, subscribers: r.subscribers }))).filter((s) => s.loadgen_cpu_s !== undefined && s.seconds);
  if (!steps.length) return '';
  const share = steps.map((s) => s.loadgen_cpu_s / s.seconds);
  const perDelivery = steps.filter((s) => s.deliveries > 1000).map((s) => (s.loadgen_cpu_s / s.deliveries) * 1e9);
  const busiest = steps.reduce((a, s) => (s.loadgen_cpu_s / s.seconds > a.loadgen_cpu_s / a.seconds ? s : a));
  return `The load generator used a median ${pct(median(share))} and at most ${pct(Math.max(...share))} of its CPU in a measured window ` +
    `(at most during ${busiest.scenario} ×${busiest.subscribers} on ${busiest.server}, ${thousands(busiest.deliveries_per_s)} deliveries/s)` +
    (perDelivery.length ? `; ${thousands(median(perDelivery))} ns of its CPU per delivery (median).` : '.');
}

// report(o, { results, runs, memory, notes, versions, command, background }) -> the markdown.
export function report(o, { results, runs = [], memory = {}, notes = [], versions: v = {}, command, background = '' }) {
  const servers = o.servers.filter((s) => results.some((r) => r.server === s));
  const lines = [];
  const cpu = os.cpus()[0]?.model?.trim() || 'unknown CPU';
  const stamp = (d) => d.toISOString().replace(/\.\d+Z$/, 'Z');
  const span = o.startedAt ? `${stamp(o.startedAt)} to ${stamp(new Date())}` : stamp(new Date());
  const load = o.loadBefore ? `; load average ${o.loadBefore.map((l) => l.toFixed(2)).join(' ')} when it started` : '';
  lines.push(`Run ${span} on ${os.cpus().length} × ${cpu}, Linux ${os.release()}${load}.` + (background ? ` ${background}` : ''));
  lines.push(`Command: \`${command}\``);
  lines.push('');
  const rates = o.scenarios.map((s) => `${s} ${o.rates[s]}`).join(', ');
  lines.push(`Each server: fresh database, ${o.channels} rows seeded; subscribers spread over ${o.channels} rows (items) or rooms (rooms); ` +
    `writes over ${o.writers} keep-alive HTTP connections at ${rates} writes/s; ${o.warmup} s of warm-up, then ${o.duration} s measured, ` +
    `then up to ${o.drain} s for the window's deliveries to arrive; ` +
    `servers measured in turn for each scenario and subscriber count${o.rounds > 1 ? `, their order rotated each round; median of ${o.rounds} rounds (their range in parentheses)` : ''}; ` +
    (o.pin ? `servers pinned to CPU ${o.serverCpu}, the load generator to CPU ${o.clientCpu}.` : 'no CPU pinning.'));
  const known = runs.flatMap((r) => r.steps).filter((s) => s.other);
  if (known.length) {
    const shares = known.map(disturbance);
    const nicedShares = known.map(niced);
    const repeated = runs.reduce((a, r) => a + (r.attempts || 1) - 1, 0);
    lines.push('', `Other work on the two CPUs during the measured windows kept: median ${pct(median(shares))}, at most ${pct(Math.max(...shares))} of a CPU ` +
      `(the loopback's network processing counts here); ${repeated} measurement(s) taken again because it was over ${pct(o.maxOther)}.` +
      (Math.max(...nicedShares) >= 0.05
        ? ` Niced background work, not counted there, took a median ${pct(median(nicedShares))} and at most ${pct(Math.max(...nicedShares))} of a CPU: ` +
          'it only gets the time the server and the load generator leave idle, but it shares their caches and cores, so figures are somewhat lower than on a quiet machine.'
        : ''));
  }
  const lg = loadgenSentence(runs);
  if (lg) lines.push('', lg);
  lines.push('');
  lines.push('Deliveries/s: event frames received by all subscribers per second; latency: from sending the write to each subscriber receiving its event; ' +
    'CPU: the server process\'s CPU time (all threads, user + system) over the window ÷ deliveries — it includes handling the writes, ' +
    'and leaves out the kernel\'s softirq processing of the loopback traffic, which /proc accounts to no process.');
  lines.push('');
  const ratios = servers.includes('ssot') ? servers.filter((s) => s !== 'ssot') : [];
  const header = ['scenario', 'subscribers', 'writes/s', ...servers.map((s) => SERVERS[s].label), ...ratios.map((p) => `ssot vs ${SERVERS[p].short}`)];
  lines.push(`| ${header.join(' | ')} |`);
  lines.push(`| ${header.map((h, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`);
  const find = (s, scenario, n) => results.find((r) => r.server === s && r.scenario === scenario && r.subscribers === n);
  for (const scenario of o.scenarios) {
    for (const n of o.subscribers) {
      const measuredRate = results.find((r) => r.scenario === scenario && r.subscribers === n && r.rate)?.rate ?? o.rates[scenario];
      const row = [scenario, thousands(n), String(measuredRate), ...servers.map((s) => formatCell(find(s, scenario, n)))];
      for (const p of ratios) row.push(ratio(find('ssot', scenario, n), find(p, scenario, n)));
      lines.push(`| ${row.join(' | ')} |`);
    }
  }
  if (o.saturate) {
    lines.push('', `Saturation: the write rate doubled each step from the rate above (${o.steps} steps at most), ${o.duration} s a step, until a step was not sustained ` +
      `(a write not sent on time, more than 1% of the deliveries missing after the drain, a write error, or p99 over ${o.maxP99} ms); ` +
      'the most deliveries/s of a sustained step, and the step that broke.', '');
    const h = ['scenario', 'subscribers', ...servers.map((s) => SERVERS[s].label)];
    lines.push(`| ${h.join(' | ')} |`);
    lines.push(`| ${h.map((x, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`);
    for (const scenario of o.scenarios) {
      for (const n of o.subscribers) {
        lines.push(`| ${[scenario, thousands(n), ...servers.map((s) => formatSaturation(find(s, scenario, n)))].join(' | ')} |`);
      }
    }
  }
  const memServers = servers.filter((s) => memory[s]);
  if (memServers.length) {
    lines.push('', 'Memory: RSS of the fresh, seeded server before any client, then with every client connected, subscribed and idle ' +
      `(${o.settle} s after the last \`subscribed\`), and the most RSS it had over the whole run (VmHWM).`, '');
    lines.push('| server | clients | RSS before | RSS with them idle | per idle connection | peak RSS over the run |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const s of memServers) {
      const m = memory[s];
      const per = m.before !== null && m.idle !== null ? `${((m.idle - m.before) / m.clients).toFixed(1)} KiB` : '?';
      lines.push(`| ${SERVERS[s].label} | ${thousands(m.clients)} | ${m.before === null ? '?' : `${mib(m.before)} MiB`} | ` +
        `${m.idle === null ? '?' : `${mib(m.idle)} MiB`} | ${per} | ${m.peakRun ? `${mib(m.peakRun)} MiB` : '?'} |`);
    }
  }
  lines.push('');
  lines.push(`Versions: Node ${v.node}; load generator ${v.loadgen}; ssot ${v.ssot} (${v.ssotLibs})` +
    (v.uws ? `; uws peer: ${v.uws}` : '') + (v.express ? `; express peer: ${v.express}` : '') +
    (v.peerSqlite ? ` (peers' SQLite ${v.peerSqlite}, bundled by better-sqlite3)` : '') + '.');
  if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}
