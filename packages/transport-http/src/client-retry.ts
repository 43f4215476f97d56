import type { Fault } from './client-send.js';

/** Which failed calls the HTTP client retries, how often and with what backoff. */
export interface RetryOptions {
  /** Tries in all, the first included. Default 3. */
  attempts?: number;
  /** Backoff base: try n waits a random time up to base * 2^(n-1), capped (full jitter). Default 50 ms. */
  baseDelayMs?: number;
  /** Default 1 s. */
  maxDelayMs?: number;
  /**
   * Retries allowed beyond a floor, as a share of calls: 0.2 lets retries add at most
   * 20% load to a struggling service. Default 0.2.
   */
  budgetRatio?: number;
  /** Retries per second allowed whatever the call rate, so a quiet client can still retry. Default 10. */
  budgetMinPerSecond?: number;
}

export type ResolvedRetry = Required<RetryOptions>;

export function resolveRetry(options: RetryOptions | false | undefined): ResolvedRetry | undefined {
  if (options === false) return undefined;
  return {
    attempts: options?.attempts ?? 3,
    baseDelayMs: options?.baseDelayMs ?? 50,
    maxDelayMs: options?.maxDelayMs ?? 1_000,
    budgetRatio: options?.budgetRatio ?? 0.2,
    budgetMinPerSecond: options?.budgetMinPerSecond ?? 10,
  };
}

/**
 * A token bucket that bounds retries per downstream: every call deposits `ratio` of a
 * token, time deposits `minPerSecond`, a retry takes one. When a service fails
 * everything, retries stop at that share instead of multiplying the load on it.
 */
export class RetryBudget {
  private tokens: number;
  private last = Date.now();
  private readonly cap: number;

  constructor(
    private readonly ratio: number,
    private readonly minPerSecond: number,
  ) {
    this.cap = Math.max(1, minPerSecond * 10);
    this.tokens = Math.max(1, minPerSecond);
  }

  deposit(): void {
    this.refill();
    this.tokens = Math.min(this.cap, this.tokens + this.ratio);
  }

  tryWithdraw(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(): void {
    const now = Date.now();
    if (now > this.last) {
      this.tokens = Math.min(this.cap, this.tokens + ((now - this.last) / 1000) * this.minPerSecond);
      this.last = now;
    }
  }
}

/**
 * Whether another try may help: no connection (nothing reached the service, or a
 * balanced pool can pick another instance) and 502/503/504 answers. A timeout spent the
 * whole deadline, and other 5xx answers are the service's considered reply.
 */
export function isRetryableFault(fault: Fault | undefined): boolean {
  if (!fault) return false;
  if (fault.kind === 'connection') return true;
  return fault.kind === 'status' && (fault.status === 502 || fault.status === 503 || fault.status === 504);
}

/** Full-jitter exponential backoff for retry number `retry` (1 for the first), at least the server's Retry-After. */
export function retryDelay(policy: ResolvedRetry, retry: number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = Math.random() * ceiling;
  return retryAfterMs !== undefined ? Math.max(jittered, retryAfterMs) : jittered;
}

/** Waits `ms`, or rejects at once with the signal's reason when the caller aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
