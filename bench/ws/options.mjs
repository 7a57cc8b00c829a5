// The WebSocket benchmark's command line: parseArgs(argv) -> the options run.mjs uses, or a
// UsageError saying what is wrong. Kept apart from run.mjs so the tests can call it.
export const SCENARIOS = ['list', 'items', 'rooms'];
export const SERVER_NAMES = ['ssot', 'uws', 'express'];

// Write rates (writes/s) by default: rates the fastest server sustained at 1,000 and 5,000
// subscribers on the development machine (docs/benchmarks.md "WebSocket"). A list write
// reaches every subscriber, an items or rooms write only its row's or room's (1 in
// --channels), so those take more writes.
export const DEFAULT_RATES = { list: 40, items: 800, rooms: 800 };

export const USAGE = `usage: node bench/ws/run.mjs [options]
  --servers LIST       servers to run, of ssot,uws,express (default: all three)
  --scenarios LIST     of list,items,rooms (default: all three)
  --subscribers LIST   WebSocket clients per measurement, e.g. 1000,5000 (default: 1000,5000)
  --rate SPEC          writes per second: one number for every scenario, or per scenario,
                       e.g. list=10,items=200,rooms=200 (default: ${Object.entries(DEFAULT_RATES).map(([k, v]) => `${k}=${v}`).join(',')})
  --saturate           also raise the rate, doubling it each step from --rate, until a step is not
                       sustained (deliveries missing, writes not keeping up, or p99 over --max-p99)
  --steps N            most rate steps with --saturate (default: 7)
  --duration SECONDS   measured window of each step (default: 10)
  --warmup SECONDS     writing before each window, not counted (default: 2)
  --drain SECONDS      most time to wait for a window's deliveries after it (default: 5)
  --rounds N           measure everything N times, servers in rotated order; medians (default: 1)
  --writers N          keep-alive HTTP connections the writes go over (default: 8)
  --channels N         rows (items) and rooms (rooms) the subscribers spread over (default: 100)
  --max-p99 MS         a step with a higher p99 latency is not sustained (default: 1000)
  --settle SECONDS     wait after every client subscribed before reading the server's memory (default: 1)
  --ssot PATH          the ssot binary (default: build it in build-bench/, Release)
  --server-cpu N       CPU the servers are pinned to with taskset (default: 0)
  --client-cpu N       CPU the load generator is pinned to (default: 1)
  --no-pin             do not pin either
  --max-other PERCENT  measure again when other work took more than this share of the server's or
                       the load generator's CPU (default: 10)
  --attempts N         measure at most N times, keeping the least disturbed (default: 2)
  --check-only         start each server, seed it and run the protocol check; no measurement
  --out FILE           also write the markdown report to FILE
  --raw FILE           also write every measurement as JSON to FILE
Ports 18280 (ssot), 18281 (uws), 18282 (express) on 127.0.0.1 must be free.`;

export class UsageError extends Error {}

/** The items of a comma-separated option value, each one of allowed when given. */
export function list(flag, value, allowed) {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`${flag}: empty list`);
  for (const item of items) {
    if (allowed && !allowed.includes(item)) throw new UsageError(`${flag}: unknown '${item}' (expected ${allowed.join(', ')})`);
  }
  return items;
}

/** An option value that must be a positive number (an integer unless integer is false). */
export function positive(flag, value, integer = true) {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag}: expected a positive ${integer ? 'integer' : 'number'}, got '${value}'`);
  }
  return n;
}

// parseRates(text) -> { list, items, rooms } writes/s: "20" for all, or "list=20,items=400"
// (scenarios not named keep their default).
export function parseRates(text) {
  if (!text.includes('=')) {
    const r = positive('--rate', text, false);
    return Object.fromEntries(SCENARIOS.map((s) => [s, r]));
  }
  const rates = { ...DEFAULT_RATES };
  for (const part of list('--rate', text)) {
    const [name, value] = part.split('=');
    if (!SCENARIOS.includes(name)) throw new UsageError(`--rate: unknown scenario '${name}' (expected ${SCENARIOS.join(', ')})`);
    rates[name] = positive('--rate', value, false);
  }
  return rates;
}

export function parseArgs(argv) {
  const o = {
    servers: [...SERVER_NAMES], scenarios: [...SCENARIOS], subscribers: [1000, 5000], rates: { ...DEFAULT_RATES },
    saturate: false, steps: 7, duration: 10, warmup: 2, drain: 5, rounds: 1, writers: 8, channels: 100,
    maxP99: 1000, settle: 1, ssot: '', serverCpu: 0, clientCpu: 1, pin: true, maxOther: 0.1, attempts: 2,
    checkOnly: false, out: '', raw: '', help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${flag}: missing value`);
      return argv[++i];
    };
    const seconds = () => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) throw new UsageError(`${flag}: expected a number of seconds ≥ 0`);
      return v;
    };
    switch (flag) {
      case '--servers': o.servers = list(flag, value(), SERVER_NAMES); break;
      case '--scenarios': {
        const chosen = list(flag, value(), SCENARIOS);
        o.scenarios = SCENARIOS.filter((s) => chosen.includes(s));
        break;
      }
      case '--subscribers': o.subscribers = list(flag, value()).map((n) => positive(flag, n)); break;
      case '--rate': o.rates = parseRates(value()); break;
      case '--saturate': o.saturate = true; break;
      case '--steps': o.steps = positive(flag, value()); break;
      case '--duration': o.duration = positive(flag, value(), false); break;
      case '--warmup': o.warmup = seconds(); break;
      case '--drain': o.drain = seconds(); break;
      case '--rounds': o.rounds = positive(flag, value()); break;
      case '--writers': o.writers = positive(flag, value()); break;
      case '--channels': o.channels = positive(flag, value()); break;
      case '--max-p99': o.maxP99 = positive(flag, value(), false); break;
      case '--settle': o.settle = seconds(); break;
      default: if (!sharedOption(o, flag, value)) throw new UsageError(`unknown option '${flag}'`);
    }
  }
  checkShared(o);
  o.subscribers = [...new Set(o.subscribers)].sort((a, b) => a - b);
  return o;
}

/**
 * The options every bench/ws-style runner shares (bench/ws, bench/postgres): the binary, CPU
 * pinning, measuring again when disturbed, check-only, output files and help. Sets o from flag
 * (value() takes its argument) and returns true, or false for a flag it does not know.
 */
export function sharedOption(o, flag, value) {
  switch (flag) {
    case '--ssot': o.ssot = value(); return true;
    case '--server-cpu': o.serverCpu = Number(value()); return true;
    case '--client-cpu': o.clientCpu = Number(value()); return true;
    case '--no-pin': o.pin = false; return true;
    case '--max-other': {
      const percent = Number(value());
      if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw new UsageError('--max-other: expected a percentage 0..100');
      o.maxOther = percent / 100;
      return true;
    }
    case '--attempts': o.attempts = positive(flag, value()); return true;
    case '--check-only': o.checkOnly = true; return true;
    case '--out': o.out = value(); return true;
    case '--raw': o.raw = value(); return true;
    case '-h': case '--help': o.help = true; return true;
    default: return false;
  }
}

/** The checks of the shared options once all are read (and of --steps, which both have). */
export function checkShared(o) {
  if (o.steps > 32) throw new UsageError('--steps: at most 32');
  if (o.pin && o.serverCpu === o.clientCpu) throw new UsageError('--server-cpu and --client-cpu must differ (or --no-pin)');
}

/**
 * parse(argv) for a runner's main: the options, or exit 2 with the message and the usage; exit 0
 * after printing the usage for --help. name prefixes the message ("bench/ws").
 */
export function optionsOrExit(parse, argv, name, usage) {
  let o;
  try {
    o = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${name}: ${err.message}\n${usage}`);
    process.exit(2);
  }
  if (o.help) {
    console.log(usage);
    process.exit(0);
  }
  return o;
}
