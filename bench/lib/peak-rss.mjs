// Peak resident set size of another process, from Linux's VmHWM ("high water mark"); the
// kernel keeps it, so a bench reads it once at the end instead of sampling.
import { readFileSync } from 'node:fs';

/** Peak RSS in bytes of `pid`, or NaN where /proc is not there (not Linux). */
export function peakRssBytes(pid) {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Current RSS in bytes of `pid`, or NaN where /proc is not there. */
export function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}
