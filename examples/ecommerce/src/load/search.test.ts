import { describe, expect, it } from 'vitest';
import { searchRate } from './search.js';

/** A shop that sustains up to `limit` orders/s: steps at or below it pass. */
const shopUpTo = (limit: number) => async (rate: number) => ({ rate, passed: rate <= limit });

describe('the rate search', () => {
  it('doubles while steps pass, then bisects between the last pass and the first failure', async () => {
    const result = await searchRate({ startRate: 25, maxRate: 3200, bisect: 3 }, shopUpTo(130));
    expect(result.steps.map((s) => s.rate)).toEqual([25, 50, 100, 200, 150, 125, 138]);
    expect(result.sustainable?.rate).toBe(125);
    expect(result.reachedMax).toBe(false);
  });

  it('stops at the maximum rate when every step passes, and says so', async () => {
    const result = await searchRate({ startRate: 25, maxRate: 60, bisect: 3 }, shopUpTo(1000));
    expect(result.steps.map((s) => s.rate)).toEqual([25, 50, 60]);
    expect(result.sustainable?.rate).toBe(60);
    expect(result.reachedMax).toBe(true);
  });

  it('bisects below the start rate when the first step fails', async () => {
    const result = await searchRate({ startRate: 25, maxRate: 3200, bisect: 2 }, shopUpTo(8));
    expect(result.steps.map((s) => s.rate)).toEqual([25, 13, 6.5]);
    expect(result.sustainable?.rate).toBe(6.5);
  });

  it('finds no sustainable rate when nothing passes', async () => {
    const result = await searchRate({ startRate: 25, maxRate: 3200, bisect: 0 }, shopUpTo(0));
    expect(result.steps.map((s) => s.rate)).toEqual([25]);
    expect(result.sustainable).toBeUndefined();
  });
});
