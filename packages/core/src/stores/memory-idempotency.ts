import { randomUUID } from 'node:crypto';
import type { MemoryTx } from './memory-tx.js';
import type { IdempotencyBegin, IdempotencyOutcome, IdempotencyStore } from './store.js';

interface Entry {
  fingerprint: string;
  lease: string;
  outcome?: IdempotencyOutcome;
  expiresAt: number;
  /** A transaction is about to record the outcome: the lease cannot lapse under it. */
  committing: boolean;
}

/** Idempotency records in process memory: enough for one instance and for tests. */
export class MemoryIdempotencyStore implements IdempotencyStore<MemoryTx> {
  private readonly entries = new Map<string, Entry>();
  private lastSweep = 0;

  async begin(scope: string, key: string, fingerprint: string, leaseMs: number): Promise<IdempotencyBegin> {
    const id = idOf(scope, key);
    const now = Date.now();
    this.sweep(now);
    const entry = this.entries.get(id);
    if (entry && (entry.expiresAt > now || entry.committing)) {
      if (entry.fingerprint !== fingerprint) return { state: 'mismatch' };
      return entry.outcome ? { state: 'completed', outcome: entry.outcome } : { state: 'in-flight' };
    }
    const lease = randomUUID();
    this.entries.set(id, { fingerprint, lease, expiresAt: now + leaseMs, committing: false });
    return { state: 'started', lease };
  }

  async renew(scope: string, key: string, lease: string, leaseMs: number): Promise<boolean> {
    const entry = this.held(scope, key, lease);
    if (!entry) return false;
    entry.expiresAt = Math.max(entry.expiresAt, Date.now() + leaseMs);
    return true;
  }

  async complete(
    scope: string,
    key: string,
    lease: string,
    outcome: IdempotencyOutcome,
    ttlMs: number,
  ): Promise<boolean> {
    const entry = this.held(scope, key, lease);
    if (!entry) return false;
    entry.outcome = outcome;
    entry.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async completeIn(
    tx: MemoryTx,
    scope: string,
    key: string,
    lease: string,
    outcome: IdempotencyOutcome,
    ttlMs: number,
  ): Promise<boolean> {
    const entry = this.held(scope, key, lease);
    if (!entry) return false;
    entry.committing = true;
    tx.onSettle((committed) => {
      entry.committing = false;
      if (!committed) return;
      entry.outcome = outcome;
      entry.expiresAt = Date.now() + ttlMs;
    });
    return true;
  }

  async release(scope: string, key: string, lease: string): Promise<void> {
    const entry = this.entries.get(idOf(scope, key));
    if (entry && entry.lease === lease && entry.outcome === undefined && !entry.committing)
      this.entries.delete(idOf(scope, key));
  }

  /**
   * The entry while `lease` still owns it: not completed and not taken by another. A lapsed
   * lease nobody took over is still its owner's: no other run can have started meanwhile.
   */
  private held(scope: string, key: string, lease: string): Entry | undefined {
    const entry = this.entries.get(idOf(scope, key));
    if (!entry || entry.lease !== lease || entry.outcome !== undefined) return undefined;
    return entry;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 1_000) return;
    this.lastSweep = now;
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now && !entry.committing) this.entries.delete(id);
  }
}

function idOf(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}
