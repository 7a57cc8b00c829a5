// The kernel's floor under the list scenario: how much CPU one process spends on nothing but
// the sends a fan-out needs (sendfloor.c), one frame of the list event's size to each of N
// loopback connections per write, at the scenario's write rate, pinned as run.mjs pins the
// servers. No server can deliver below it while it sends each event to each subscriber in its
// own write; docs/benchmarks.md compares the servers' CPU per delivery with it.
//
//   node bench/ws/floor.mjs [--subscribers 1000,5000] [--rate 40] [--bytes N] [--seconds 5]
//                           [--modes send,sendmsg,io_uring] [--server-cpu 0] [--client-cpu 1]
//
// Uses bench/http/shell.mjs; io_uring needs liburing-dev (scripts/install-deps.sh).
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, run } from '../http/shell.mjs';
import { HERE } from './servers.mjs';

// The size of a list event frame as ssot sends it in the benchmark: a created Message with its
// text "t=<send time in ns>", ids and offsets of a few digits; a 4-byte header (payloads over
// 125 bytes) and a payload of about 208.
const LIST_FRAME_BYTES = 212;

const USAGE = `usage: node bench/ws/floor.mjs [options]
  --subscribers LIST   connections each write is sent to (default: 1000,5000)
  --rate N             writes (bursts of sends) per second (default: 40, the list scenario's)
  --bytes N            frame size (default: ${LIST_FRAME_BYTES}, a list event's)
  --seconds N          measured window after a 1 s warm-up (default: 5)
  --modes LIST         of send, sendmsg, io_uring (default: all three; io_uring needs liburing-dev)
  --server-cpu N       CPU the sending process is pinned to (default: 0)
  --client-cpu N       CPU the receiving process is pinned to (default: 1)`;

function parse(argv) {
  const o = { subscribers: [1000, 5000], rate: 40, bytes: LIST_FRAME_BYTES, seconds: 5, modes: ['send', 'sendmsg', 'io_uring'], serverCpu: 0, clientCpu: 1 };
  const number = (flag, value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} takes a positive number, not ${JSON.stringify(value)}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    i++;
    if (flag === '--subscribers') o.subscribers = value.split(',').map((v) => number(flag, v));
    else if (flag === '--rate') o.rate = number(flag, value);
    else if (flag === '--bytes') o.bytes = number(flag, value);
    else if (flag === '--seconds') o.seconds = number(flag, value);
    else if (flag === '--modes') o.modes = value.split(',');
    else if (flag === '--server-cpu') o.serverCpu = Number(value);
    else if (flag === '--client-cpu') o.clientCpu = Number(value);
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  for (const mode of o.modes) if (!['send', 'sendmsg', 'io_uring'].includes(mode)) throw new Error(`--modes: unknown mode ${mode} (send, sendmsg, io_uring)`);
  return o;
}

// build() -> { binary, uring }: sendfloor.c compiled into build-bench/, with io_uring when
// liburing's header is there.
function build() {
  const source = path.join(HERE, 'sendfloor.c');
  const uring = fs.existsSync('/usr/include/liburing.h');
  const binary = path.join(ROOT, 'build-bench', uring ? 'ws-sendfloor-uring' : 'ws-sendfloor');
  if (!fs.existsSync(binary) || fs.statSync(binary).mtimeMs < fs.statSync(source).mtimeMs) {
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    run('cc', ['-O2', '-std=c11', '-Wall', '-Wextra', ...(uring ? ['-DSENDFLOOR_URING'] : []), '-o', binary, source, ...(uring ? ['-luring'] : [])]);
  }
  return { binary, uring };
}

let options;
try {
  options = parse(process.argv.slice(2));
} catch (error) {
  console.error(error.message);
  process.exit(2);
}
const { binary, uring } = build();
console.log(`| subscribers | writes/s | frame | ${options.modes.join(' | ')} |`);
console.log(`| ---: | ---: | ---: | ${options.modes.map(() => '---:').join(' | ')} |`);
for (const subscribers of options.subscribers) {
  const cells = options.modes.map((mode) => {
    if (mode === 'io_uring' && !uring) return 'no liburing-dev';
    const out = run(binary, [subscribers, options.bytes, options.rate, options.seconds, options.serverCpu, options.clientCpu, mode].map(String));
    const result = JSON.parse(out.trim().split('\n').pop());
    const short = result.short_sends ? ` (${result.short_sends} short)` : '';
    return `${result.cpu_us_per_send.toFixed(2)} µs per send${short}`;
  });
  console.log(`| ${subscribers.toLocaleString('en')} | ${options.rate} | ${options.bytes} B | ${cells.join(' | ')} |`);
}
