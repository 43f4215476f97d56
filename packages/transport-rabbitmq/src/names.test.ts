import { describe, expect, it } from 'vitest';
import { checkDelayLevels, checkName, defaultNames, delayLevelFor, formatDelay, parseDelay } from './names.js';

describe('topology names and delay levels', () => {
  it('names every object under the prefix, one namespace per kind', () => {
    const names = defaultNames('shop');
    expect(names.exchange).toBe('shop.events');
    expect(names.groupQueue('billing')).toBe('shop.group.billing');
    expect(names.delayQueue('billing', 5_000)).toBe('shop.delay.billing.5s');
    expect(names.deadLetterQueue('billing')).toBe('shop.dlq.billing');
    expect(names.runLedger('billing', '0190-ab')).toBe('shop.runs.billing.0190-ab');
  });

  it('rounds a delay up to the next level, and caps at the largest', () => {
    expect(delayLevelFor([100, 500, 2_000], 0)).toBe(100);
    expect(delayLevelFor([100, 500, 2_000], 500)).toBe(500);
    expect(delayLevelFor([100, 500, 2_000], 501)).toBe(2_000);
    expect(delayLevelFor([100, 500, 2_000], 9_999)).toBe(2_000);
  });

  it('formats and parses delays', () => {
    expect([250, 1_000, 90_000, 3_600_000].map(formatDelay)).toEqual(['250ms', '1s', '90s', '1h']);
    expect(['250ms', '2s', '1.5m', '1h', '40'].map((t) => parseDelay(t, 'x'))).toEqual([
      250, 2_000, 90_000, 3_600_000, 40,
    ]);
    expect(() => parseDelay('soon', 'delays')).toThrow(/delays: 'soon' is not a delay/);
  });

  it('sorts and de-duplicates levels and refuses bad ones', () => {
    expect(checkDelayLevels([2_000, 100, 2_000], 'levels')).toEqual([100, 2_000]);
    expect(() => checkDelayLevels([], 'levels')).toThrow(/at least one/);
    expect(() => checkDelayLevels([0.5], 'levels')).toThrow(/whole number/);
  });

  it('refuses names RabbitMQ would refuse', () => {
    expect(() => checkName('queue', '')).toThrow(/empty/);
    expect(() => checkName('queue', 'q'.repeat(256))).toThrow(/longer than 255 bytes/);
  });
});
