import { describe, expect, it } from 'vitest';
import { NonRetryableError, ValidationError } from '../errors/errors.js';
import { backoffDelay, decideRetry, resolveRetryPolicy } from './retry-policy.js';

describe('retry policy', () => {
  const policy = resolveRetryPolicy({
    attempts: 6,
    immediateRetries: 2,
    initialDelayMs: 100,
    factor: 3,
    maxDelayMs: 1_000,
    jitter: 'none',
  });

  it('retries at once, then with exponential backoff capped at the maximum, then gives up', () => {
    const err = new Error('transient');
    expect([1, 2, 3, 4, 5, 6].map((a) => decideRetry(policy, a, err))).toEqual([
      { kind: 'immediate' },
      { kind: 'immediate' },
      { kind: 'delayed', delayMs: 100 },
      { kind: 'delayed', delayMs: 300 },
      { kind: 'delayed', delayMs: 900 },
      { kind: 'give-up', reason: 'attempts-exhausted' },
    ]);
    expect(backoffDelay(policy, 4)).toBe(1_000);
  });

  it('gives up at once on non-retryable errors', () => {
    expect(decideRetry(policy, 1, new NonRetryableError('no'))).toEqual({ kind: 'give-up', reason: 'non-retryable' });
    expect(decideRetry(policy, 1, new ValidationError('bad'))).toEqual({ kind: 'give-up', reason: 'non-retryable' });
  });

  it('draws full jitter uniformly below the backoff', () => {
    const full = resolveRetryPolicy({ initialDelayMs: 1_000, jitter: 'full' });
    expect(backoffDelay(full, 2, () => 0)).toBe(0);
    expect(backoffDelay(full, 2, () => 0.5)).toBe(1_000);
    expect(backoffDelay(full, 2, () => 0.999)).toBe(1_998);
  });

  it('rejects nonsense settings with the setting named', () => {
    expect(() => resolveRetryPolicy({ attempts: 0 })).toThrow(/retry.attempts/);
    expect(() => resolveRetryPolicy({ immediateRetries: -1 })).toThrow(/retry.immediateRetries/);
  });
});
