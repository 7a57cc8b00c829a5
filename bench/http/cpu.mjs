// How much other work shared the benchmark's two CPUs during a measurement: the server's CPU
// busy with something other than the server, the client's CPU busy with something other
// than wrk (other people's builds on a shared machine, mostly). wrk.mjs repeats a
// measurement that was disturbed too much. Linux only (/proc); elsewhere nothing is known.
import fs from 'node:fs';

// parseCpuLines(text) -> { cpuN: { busy, total } } from /proc/stat, in clock ticks: busy is
// everything but idle and iowait (user, nice, system, irq, softirq, steal).
export function parseCpuLines(text) {
  const cpus = {};
  for (const line of text.split('\n')) {
    const m = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2].trim().split(/\s+/).map(Number);
    const busy = user + nice + system + irq + softirq + (steal || 0);
    cpus[m[1]] = { busy, total: busy + idle + iowait };
  }
  return cpus;
}

// parseProcessTicks(text) -> utime + stime of a process (all its threads) from
// /proc/<pid>/stat; the command name in parentheses may hold spaces.
export function parseProcessTicks(text) {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of the whole line
}

// parseChildTimes(text) -> seconds of CPU the shell's children used, from the second line
// of the `times` builtin ("0m1.230000s 0m0.450000s"), or null.
export function parseChildTimes(text) {
  const lines = text.trim().split('\n');
  const m = /^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s$/.exec(lines[lines.length - 1] || '');
  return m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : null;
}

// sample(pid) -> { cpus, server } now, or null where /proc is missing. For a server made of
// several processes (nodes, a database server), pid is a function returning their ticks.
export function sample(pid) {
  try {
    return {
      cpus: parseCpuLines(fs.readFileSync('/proc/stat', 'utf8')),
      server: typeof pid === 'function' ? pid() : parseProcessTicks(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')),
    };
  } catch {
    return null;
  }
}

// otherWork(before, after, serverCpu, clientCpu, wrkSeconds, hz) -> { server, client,
// clientBusy }: the share of each CPU's time spent on anything but the server (its CPU) and
// wrk (the other), 0..1, and how busy wrk's CPU was in all; null when unknown. The kernel's
// network work for the loopback traffic shows here too (a few percent), the same for every
// server.
export function otherWork(before, after, serverCpu, clientCpu, wrkSeconds, hz = 100) {
  if (!before || !after) return null;
  const delta = (cpu) => {
    const a = before.cpus[`cpu${cpu}`];
    const b = after.cpus[`cpu${cpu}`];
    return a && b ? { busy: b.busy - a.busy, total: b.total - a.total } : null;
  };
  const s = delta(serverCpu);
  const c = delta(clientCpu);
  if (!s || !c || s.total <= 0 || c.total <= 0) return null;
  const share = (busy, own, total) => Math.min(1, Math.max(0, (busy - own) / total));
  return {
    server: share(s.busy, after.server - before.server, s.total),
    client: wrkSeconds === null ? null : share(c.busy, wrkSeconds * hz, c.total),
    clientBusy: c.busy / c.total,
  };
}
