import { isRetriable } from '../errors/errors.js';

/**
 * How an event handler's failures are retried. Attempts are counted across deliveries:
 * attempt 1 is the first run; the first `immediateRetries` retries run again at once in
 * process; later ones go back through the broker after an exponential backoff, so a
 * failing message never blocks its partition or queue.
 */
export interface RetryPolicy {
  /** Total attempts including the first; 1 means never retry. */
  attempts: number;
  /** Retries run again at once in the same process before delayed ones start. */
  immediateRetries: number;
  /** Delay before the first delayed retry; doubles (by `factor`) for each one after. */
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** 'full': a uniform random delay in [0, backoff] (AWS "full jitter"); 'none': the backoff itself. */
  jitter: 'full' | 'none';
  /** Whether an error may succeed on retry; by default TandemError.retriable, and true for unknown errors. */
  retryable: (error: unknown) => boolean;
}

/** The retry policy event handlers get when none is set: attempts and backoff. */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  attempts: 5,
  immediateRetries: 1,
  initialDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 300_000,
  jitter: 'full',
  retryable: isRetriable,
});

/** Merges retry policy layers (app, service, handler), later ones winning, and checks the result. */
export function resolveRetryPolicy(...layers: Array<Partial<RetryPolicy> | undefined>): RetryPolicy {
  const policy: RetryPolicy = Object.assign({}, defaultRetryPolicy, ...layers.filter(Boolean));
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new RangeError(`retry.attempts must be an integer >= 1, got ${policy.attempts}`);
  }
  if (!Number.isInteger(policy.immediateRetries) || policy.immediateRetries < 0) {
    throw new RangeError(`retry.immediateRetries must be an integer >= 0, got ${policy.immediateRetries}`);
  }
  if (!(policy.initialDelayMs >= 0) || !(policy.factor >= 1) || !(policy.maxDelayMs >= policy.initialDelayMs)) {
    throw new RangeError('retry: need initialDelayMs >= 0, factor >= 1 and maxDelayMs >= initialDelayMs');
  }
  return policy;
}

/** The delay before delayed retry number `n` (1-based). */
export function backoffDelay(policy: RetryPolicy, n: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (n - 1));
  return Math.round(policy.jitter === 'full' ? random() * ceiling : ceiling);
}

/** What to do with a failed delivery: retry at once, retry after a delay, or give up (dead-letter). */
export type RetryDecision =
  | { kind: 'immediate' }
  | { kind: 'delayed'; delayMs: number }
  | { kind: 'give-up'; reason: 'non-retryable' | 'attempts-exhausted' };

/** What to do after attempt number `attempt` failed with `error`. */
export function decideRetry(policy: RetryPolicy, attempt: number, error: unknown): RetryDecision {
  if (!policy.retryable(error)) return { kind: 'give-up', reason: 'non-retryable' };
  if (attempt >= policy.attempts) return { kind: 'give-up', reason: 'attempts-exhausted' };
  if (attempt <= policy.immediateRetries) return { kind: 'immediate' };
  return { kind: 'delayed', delayMs: backoffDelay(policy, attempt - policy.immediateRetries) };
}
