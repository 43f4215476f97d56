import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRetryableFault, resolveRetry, retryDelay, RetryBudget } from './client-retry.js';

afterEach(() => vi.useRealTimers());

describe('retry policy pieces', () => {
  it('retries connection failures and 502/503/504 only', () => {
    expect(isRetryableFault({ kind: 'connection' })).toBe(true);
    expect([502, 503, 504].map((status) => isRetryableFault({ kind: 'status', status }))).toEqual([true, true, true]);
    expect(isRetryableFault({ kind: 'status', status: 500 })).toBe(false);
    expect(isRetryableFault({ kind: 'timeout' })).toBe(false);
    expect(isRetryableFault(undefined)).toBe(false);
  });

  it('backs off exponentially with full jitter, capped, and honours Retry-After', () => {
    const policy = resolveRetry({ baseDelayMs: 100, maxDelayMs: 300 })!;
    for (let i = 0; i < 50; i++) {
      expect(retryDelay(policy, 1)).toBeLessThan(100);
      expect(retryDelay(policy, 2)).toBeLessThan(200);
      expect(retryDelay(policy, 5)).toBeLessThan(300);
    }
    expect(retryDelay(policy, 1, 1_000)).toBe(1_000);
    expect(resolveRetry(false)).toBeUndefined();
  });

  it('refills the budget with time at the floor rate', () => {
    vi.useFakeTimers({ now: 0 });
    const budget = new RetryBudget(0, 2);
    expect([budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw()]).toEqual([true, true, false]);
    vi.setSystemTime(500);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
  });

  it('earns a share of a retry per call', () => {
    vi.useFakeTimers({ now: 0 });
    const budget = new RetryBudget(0.5, 0);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    budget.deposit();
    expect(budget.tryWithdraw()).toBe(false);
    budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
  });
});
