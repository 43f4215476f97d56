import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boundedDetails, defaultValidationLimits, hasMoreValuesThan, shorten } from './validation-limits.js';

describe('validation limits', () => {
  it('counts JSON values up to a bound, whatever the size or depth', () => {
    // The root, the array, and its three elements.
    const value = { items: [1, 2, 3] };
    expect(hasMoreValuesThan(value, 5)).toBe(false);
    expect(hasMoreValuesThan(value, 4)).toBe(true);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(hasMoreValuesThan(deep, 2_000)).toBe(true);
    const started = performance.now();
    expect(hasMoreValuesThan({ items: Array(1_000_000).fill({ a: 1 }) }, 2_000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('cuts long text in the middle', () => {
    expect(shorten('abcdefghij', 20)).toBe('abcdefghij');
    expect(shorten('abcdefghij', 5)).toBe('ab…ij');
  });

  it('lists issues within the count and byte limits and counts the rest', () => {
    const error = z.array(z.string()).safeParse(Array(100).fill(1)).error!;
    expect(boundedDetails(error, defaultValidationLimits, false)).toEqual({
      issues: expect.any(Array),
      omitted: 80,
    });
    const small = boundedDetails(error, { ...defaultValidationLimits, maxBytes: 500 }, true);
    expect(Buffer.byteLength(JSON.stringify(small.issues))).toBeLessThanOrEqual(500);
    expect(small.issues.length + small.omitted!).toBe(100);
    expect(small.truncated).toBe(true);
  });
});
