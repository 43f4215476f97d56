// The local RabbitMQ broker's own CPU time, from /proc/<beam.smp>/stat (utime + stime), so a
// drain can say what it cost the broker beside what it cost the consumer. Undefined when no
// beam.smp runs on this machine (a remote broker): callers then leave the column out.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function beamPid() {
  try {
    return execFileSync('pgrep', ['-x', 'beam.smp'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
      .split('\n')[0];
  } catch {
    return undefined;
  }
}

const pid = beamPid();

/** beam.smp's CPU time so far in microseconds, or undefined without a local broker. */
export function brokerCpuMicros() {
  if (!pid) return undefined;
  try {
    // Fields 14 and 15 (utime, stime) count from the first field after the command's ") ".
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
