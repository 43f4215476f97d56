import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, relativeTo } from './durations.js';

describe('CLI durations', () => {
  it('reads 90s, 10m, 2h, 1d, 500ms and combinations', () => {
    expect(parseDuration('90s', '--x')).toBe(90_000);
    expect(parseDuration('10m', '--x')).toBe(600_000);
    expect(parseDuration('2h', '--x')).toBe(7_200_000);
    expect(parseDuration('1d', '--x')).toBe(86_400_000);
    expect(parseDuration('500ms', '--x')).toBe(500);
    expect(parseDuration('1h30m', '--x')).toBe(5_400_000);
  });

  it('rejects what is not a duration, naming the option', () => {
    for (const bad of ['', '10', '10 m', '10min', 'm', '-5m', '1h 30m'])
      expect(() => parseDuration(bad, '--stuck-for')).toThrow(/^--stuck-for: expected a duration like 90s/);
  });

  it('prints the two largest units, ahead of or behind now', () => {
    expect(formatDuration(45_900)).toBe('45s');
    expect(formatDuration(12 * 60_000 + 5_000)).toBe('12m05s');
    expect(formatDuration(3 * 3_600_000 + 20 * 60_000)).toBe('3h20m');
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe('2d04h');
    expect(relativeTo(1_000 + 60_000, 1_000)).toBe('in 1m00s');
    expect(relativeTo(1_000, 61_000)).toBe('1m00s ago');
  });
});
