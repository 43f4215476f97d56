import { ConfigError } from '@tandem/core';
import { describe, expect, it } from 'vitest';
import { defaultTopicNames, delayLabel, levelFor, normaliseLevels } from './names.js';

describe('topic names', () => {
  it('maps events, retry levels and dead letters, with an optional prefix', () => {
    const names = defaultTopicNames('staging.');
    expect(names.event('orders.placed')).toBe('staging.orders.placed');
    expect(names.retry('billing', 10_000)).toBe('staging.billing.retry.10s');
    expect(names.retry('billing', 1_500)).toBe('staging.billing.retry.1500ms');
    expect(names.deadLetter('billing')).toBe('staging.billing.dlq');
  });

  it('labels delays in the largest whole unit', () => {
    expect([500, 1_000, 60_000, 600_000, 3_600_000].map(delayLabel)).toEqual(['500ms', '1s', '1m', '10m', '1h']);
  });

  it('puts a delay in the smallest level at least as long, the longest otherwise', () => {
    const levels = normaliseLevels([60_000, 1_000, 10_000, 1_000]);
    expect(levels).toEqual([1_000, 10_000, 60_000]);
    expect(levelFor(levels, 0)).toBe(1_000);
    expect(levelFor(levels, 1_000)).toBe(1_000);
    expect(levelFor(levels, 1_001)).toBe(10_000);
    expect(levelFor(levels, 3_600_000)).toBe(60_000);
  });

  it('rejects unusable levels with a ConfigError', () => {
    expect(() => normaliseLevels([])).toThrow(ConfigError);
    expect(() => normaliseLevels([0])).toThrow(/positive whole number/);
  });
});
