import { ConfigError } from '../errors/errors.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90s`, `10m`, `2h`, `1d`, `500ms` or a combination (`1h30m`) to milliseconds; `option` names the flag in errors. */
export function parseDuration(text: string, option: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new ConfigError(`${option}: expected a duration like 90s, 10m, 2h or 1d, got '${text}'`);
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS], 0);
}

/** A duration as a person reads it, to its two largest units: `45s`, `12m05s`, `3h20m`, `2d04h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1_000));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3_600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h${pad(Math.floor((s % 3_600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3_600))}h`;
}

/** `in 5m00s` for a time ahead of `now`, `5m00s ago` for one behind it. */
export function relativeTo(at: number, now: number): string {
  return at >= now ? `in ${formatDuration(at - now)}` : `${formatDuration(now - at)} ago`;
}

/** Epoch ms as ISO 8601 to the second, which is what an operator compares with logs. */
export function isoSeconds(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
