// Running the load generator (loadgen.c) for one measurement and collecting what it and the
// server did: compiling it, the run order of the measurements, one run on one server (the
// server's memory with every client idle, its CPU time over each measured window, read at
// the loadgen's measure-start/measure-end lines), and the medians over rounds.
// Uses bench/http: cpu.mjs (how much other work shared the CPUs), wrk.mjs (the rotated order,
// median), shell.mjs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { otherWork, sample } from '../http/cpu.mjs';
import { ROOT, pinned, run, sleep } from '../http/shell.mjs';
import { median, plan } from '../http/wrk.mjs';
import { HERE, memory, resetPeak } from './servers.mjs';

export { median, plan };

// buildLoadgen() -> the path of the load generator, compiled with `cc -O2` into
// build-bench/ when its source is newer than the binary.
export function buildLoadgen() {
  const source = path.join(HERE, 'loadgen.c');
  const binary = path.join(ROOT, 'build-bench', 'ws-loadgen');
  const stale = !fs.existsSync(binary) || fs.statSync(binary).mtimeMs < fs.statSync(source).mtimeMs;
  if (stale) {
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    run('cc', ['-O2', '-std=c11', '-Wall', '-Wextra', '-o', binary, source]);
  }
  return binary;
}

// rateSteps(base, saturate, steps) -> the write rates of one measurement: the base rate, and
// with saturate, doubling from it (the loadgen stops after the first step it is not
// sustained at).
export function rateSteps(base, saturate, steps) {
  if (!saturate) return [base];
  return Array.from({ length: steps }, (_, i) => base * 2 ** i);
}

// loadgenArgs(o, server, scenario, subscribers, rates) -> the loadgen's command line.
export function loadgenArgs(o, port, scenario, subscribers, rates) {
  return ['--port', String(port), '--subscribers', String(subscribers), '--scenario', scenario,
    '--channels', String(o.channels), '--rate', rates.join(','), '--warmup', String(o.warmup),
    '--duration', String(o.duration), '--drain', String(o.drain), '--writers', String(o.writers),
    '--max-p99', String(o.maxP99), '--wait-go'];
}

const HZ = 100; // clock ticks of /proc/<pid>/stat (USER_HZ)

// parseNiceTicks(text) -> { cpuN: ticks } of niced user time per CPU, from /proc/stat (its
// third column).
export function parseNiceTicks(text) {
  const cpus = {};
  for (const m of text.matchAll(/^(cpu\d+)\s+\d+\s+(\d+)/gm)) cpus[m[1]] = Number(m[2]);
  return cpus;
}

// sampleWithNice(pid) -> cpu.mjs's sample plus the niced ticks of every CPU, or null.
function sampleWithNice(pid) {
  const s = sample(pid);
  if (!s) return null;
  try {
    return { ...s, nice: parseNiceTicks(fs.readFileSync('/proc/stat', 'utf8')) };
  } catch {
    return s;
  }
}

// otherWorkWithNice(before, after, serverCpu, clientCpu, loadgenSeconds) -> cpu.mjs's
// otherWork (server, client: the share of each CPU other work took) plus nicedServer and
// nicedClient: how much of that was niced work (a background job that only gets what the
// benchmark leaves idle, such as a fuzzer run with nice).
export function otherWorkWithNice(before, after, serverCpu, clientCpu, loadgenSeconds) {
  const other = otherWork(before, after, serverCpu, clientCpu, loadgenSeconds, HZ);
  if (!other || !before.nice || !after.nice) return other;
  const niced = (cpu) => {
    const key = `cpu${cpu}`;
    const total = after.cpus[key].total - before.cpus[key].total;
    return total > 0 ? Math.max(0, (after.nice[key] - before.nice[key]) / total) : 0;
  };
  return { ...other, nicedServer: niced(serverCpu), nicedClient: niced(clientCpu) };
}

// runLoadgen(o, binary, server, scenario, subscribers, rates, { hold }) -> { ready, steps:
// [{ ...the loadgen's result, serverCpuS, cpuPerDeliveryUs, other }], done, memory: { before,
// idle, peak } (KiB), stderr }. With hold, no writes: the clients connect, subscribe, the
// memory is read, and they leave. server.writePort, when set, takes the writes (another
// node on the same database: they reach the subscribers across nodes); server.cpuTicks, when
// set, returns the CPU ticks of every process that counts as the server (nodes, the database
// server) instead of server.pid's.
export function runLoadgen(o, binary, server, scenario, subscribers, rates, { hold = false } = {}) {
  const args = loadgenArgs(o, server.port, scenario, subscribers, rates);
  if (server.writePort) args.push('--write-port', String(server.writePort));
  if (hold) args.push('--hold');
  const [cmd, cmdArgs] = pinned(o, o.clientCpu, binary, args);
  const mem = { before: memory(server.pid)?.rss ?? null, idle: null, peak: null };
  const peakReset = resetPeak(server.pid);
  const child = spawn(cmd, cmdArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const out = { ready: null, steps: [], done: null, memory: mem, stderr: '' };
  let before = null;
  let windowStart = null;
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', async (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (msg.event === 'ready') {
        out.ready = msg;
        if (msg.subscribed !== subscribers) return; // the loadgen gives up by itself
        await sleep(o.settle * 1000); // let the server finish with the handshakes
        mem.idle = memory(server.pid)?.rss ?? null;
        if (hold) child.stdin.end();
        else child.stdin.write('go\n');
      } else if (msg.event === 'measure-start') {
        before = sampleWithNice(server.cpuTicks ?? server.pid);
        windowStart = msg;
      } else if (msg.event === 'measure-end') {
        windowStart.after = sampleWithNice(server.cpuTicks ?? server.pid);
      } else if (msg.event === 'result') {
        const after = windowStart?.after ?? null;
        const serverCpuS = before && after ? (after.server - before.server) / HZ : null;
        out.steps.push({
          ...msg,
          maxP99: o.maxP99,
          serverCpuS,
          cpuPerDeliveryUs: serverCpuS !== null && msg.deliveries ? (serverCpuS / msg.deliveries) * 1e6 : null,
          other: o.pin ? otherWorkWithNice(before, after, o.serverCpu, o.clientCpu, msg.loadgen_cpu_s) : null,
        });
      } else if (msg.event === 'done') {
        out.done = msg;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const m = memory(server.pid);
      mem.peak = peakReset ? m?.peak ?? null : null;
      out.exitCode = code;
      out.stderr = stderr.trim();
      resolve(out);
    });
  });
}

// disturbance(step) -> the larger share of the server's CPU and of the loadgen's that other
// work took during the window, niced work left out (0 if unknown): below saturation the
// CPUs have idle time, which a niced job takes without taking it from the benchmark.
// niced(step) -> the larger share niced work took.
export function disturbance(step) {
  if (!step.other) return 0;
  const o = step.other;
  return Math.max(0, (o.server ?? 0) - (o.nicedServer ?? 0), (o.client ?? 0) - (o.nicedClient ?? 0));
}
export const niced = (step) => (step.other ? Math.max(step.other.nicedServer ?? 0, step.other.nicedClient ?? 0) : 0);

// atRate(steps, rate) -> the step measured at that rate, or undefined.
export const atRate = (steps, rate) => steps.find((s) => s.rate === rate);

// saturation(steps) -> { best, broke }: the sustained step with the most deliveries/s and the
// first step that was not sustained (undefined when every step was).
export function saturation(steps) {
  const sustained = steps.filter((s) => s.sustained);
  const best = sustained.reduce((a, s) => (!a || s.deliveries_per_s > a.deliveries_per_s ? s : a), undefined);
  return { best, broke: steps.find((s) => !s.sustained) };
}

// whyNotSustained(step) -> what made a step unsustained ("p99 1,200 ms", "3% missing", ...).
export function whyNotSustained(s) {
  const why = [];
  if (s.writes + Math.floor(s.writes_due / 100) + 1 < s.writes_due) why.push(`${s.writes} of ${s.writes_due} writes sent`);
  if (s.owed && s.missing * 100 > s.owed) why.push(`${Math.round((100 * s.missing) / s.owed)}% of deliveries missing after ${s.drain_s.toFixed(1)} s`);
  if (s.write_errors) why.push(`${s.write_errors} write errors`);
  if (s.p99_ms > s.maxP99) why.push(`p99 ${Math.round(s.p99_ms)} ms`);
  return why.join(', ') || 'p99 over the limit';
}

// summarize(runs) -> one result per server, scenario and subscriber count: the medians over
// the rounds of the first step (the --rate figures): deliveries/s, p50, p99, server CPU per
// delivery, with their ranges; the best sustained step of every round (saturation); memory.
export function summarize(runs) {
  const groups = new Map();
  for (const r of runs) {
    const key = `${r.scenario}\n${r.subscribers}\n${r.server}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups.values()].map((mine) => {
    const { server, scenario, subscribers } = mine[0];
    const first = mine.map((r) => r.steps[0]).filter(Boolean);
    const pick = (f) => first.map(f).filter((v) => v !== null && v !== undefined);
    const stat = (values) => (values.length ? { median: median(values), min: Math.min(...values), max: Math.max(...values) } : null);
    const best = mine.map((r) => saturation(r.steps).best).filter(Boolean);
    const broke = mine.map((r) => saturation(r.steps).broke).filter(Boolean);
    return {
      server, scenario, subscribers, rounds: mine.length,
      rate: first[0]?.rate ?? null,
      deliveries: stat(pick((s) => s.deliveries_per_s)),
      p50: stat(pick((s) => s.p50_ms)),
      p99: stat(pick((s) => s.p99_ms)),
      cpuUs: stat(pick((s) => s.cpuPerDeliveryUs)),
      loadgenCpu: stat(pick((s) => s.loadgen_cpu_s / s.seconds)),
      sustained: first.filter((s) => s.sustained).length,
      problems: [...new Set(first.filter((s) => !s.sustained).map(whyNotSustained))],
      best: best.length ? best.reduce((a, s) => (s.deliveries_per_s > a.deliveries_per_s ? s : a)) : null,
      broke: broke[0] ?? null,
      failures: mine.filter((r) => r.failure).map((r) => r.failure),
      otherMax: mine.some((r) => r.steps.some((s) => s.other)) ? Math.max(...mine.flatMap((r) => r.steps.map(disturbance))) : null,
      peakKib: Math.max(0, ...mine.map((r) => r.memory?.peak ?? 0)) || null,
    };
  });
}
