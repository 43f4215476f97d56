/**
 * CPU time per process, read from /proc/<pid>/stat (user + system, in clock ticks of
 * 10 ms on Linux), so processes this one did not start (the services, PostgreSQL's
 * backends, the broker) are measured the same way as its own.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const TICK_MS = 10;

/** Cumulative CPU ms of a process, or undefined when it is gone or unreadable. */
export function cpuMsOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * TICK_MS : undefined;
}

/** What takes CPU in a run, by label: each label may stand for several processes (PostgreSQL's backends). */
export type CpuProbe = () => Promise<Map<string, Map<number, number>>>;

/** CPU ms per label between two readings, counting only processes present in both. */
export function cpuBetween(
  before: Map<string, Map<number, number>>,
  after: Map<string, Map<number, number>>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [label, pids] of after) {
    const earlier = before.get(label);
    let sum = 0;
    for (const [pid, ms] of pids) {
      const then = earlier?.get(pid);
      if (then !== undefined) sum += ms - then;
    }
    out.set(label, sum);
  }
  return out;
}

/** A reading of fixed processes: label -> pid. */
export function readPids(pids: ReadonlyMap<string, number[]>): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const [label, list] of pids) {
    const reading = new Map<number, number>();
    for (const pid of list) {
      const ms = cpuMsOf(pid);
      if (ms !== undefined) reading.set(pid, ms);
    }
    out.set(label, reading);
  }
  return out;
}

/** This process, by process.cpuUsage (finer than ticks). */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
