import { randomUUID } from 'node:crypto';
import { countEvictions } from '../metrics/store-metrics.js';
import type { MemoryTx } from './memory-tx.js';
import type { IdempotencyBegin, IdempotencyOutcome, IdempotencyStore } from './store.js';

interface Entry {
  fingerprint: string;
  lease: string;
  outcome?: IdempotencyOutcome;
  expiresAt: number;
  /** A transaction is about to record the outcome: the lease cannot lapse under it. */
  committing: boolean;
  /** Its estimated size in bytes, counted toward `maxBytes`. */
  size: number;
}

/** Bounds of the in-memory idempotency records. */
export interface MemoryIdempotencyOptions {
  /** Records kept at most; past it the oldest completed ones are dropped. Default 100,000. */
  maxEntries?: number;
  /**
   * Estimated bytes of records kept at most (their strings as UTF-16, plus a fixed cost per
   * record); past it the oldest completed ones are dropped. Default 64 MiB.
   */
  maxBytes?: number;
}

/** What a record costs besides its strings: the entry, its Map slot, the lease token. */
const ENTRY_OVERHEAD = 200;

/**
 * Idempotency records in process memory: enough for one instance and for tests. Bounded by
 * count and size: each key costs memory for its whole replay period, and keys are the
 * caller's to choose. Past a bound the oldest completed records go first (a retry with such
 * a key runs again, as after its replay period); a claim still in flight is never dropped,
 * and those are bounded by the requests running at once.
 */
export class MemoryIdempotencyStore implements IdempotencyStore<MemoryTx> {
  /** Completed records are moved to the end when they complete: iteration order is eviction order. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private lastSweep = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  /** Records dropped to stay within the bounds, since creation (also counted as `tandem.store.evictions`). */
  evicted = 0;

  constructor(options: MemoryIdempotencyOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /** Records kept now, and their estimated bytes. */
  get usage(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  async begin(scope: string, key: string, fingerprint: string, leaseMs: number): Promise<IdempotencyBegin> {
    const id = idOf(scope, key);
    const now = Date.now();
    this.sweep(now);
    const entry = this.entries.get(id);
    if (entry && (entry.expiresAt > now || entry.committing)) {
      if (entry.fingerprint !== fingerprint) return { state: 'mismatch' };
      return entry.outcome ? { state: 'completed', outcome: entry.outcome } : { state: 'in-flight' };
    }
    if (entry) this.remove(id, entry);
    const lease = randomUUID();
    const size = ENTRY_OVERHEAD + 2 * (id.length + fingerprint.length + lease.length);
    this.add(id, { fingerprint, lease, expiresAt: now + leaseMs, committing: false, size });
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
    this.settle(idOf(scope, key), entry, outcome, ttlMs);
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
      if (committed) this.settle(idOf(scope, key), entry, outcome, ttlMs);
    });
    return true;
  }

  async release(scope: string, key: string, lease: string): Promise<void> {
    const id = idOf(scope, key);
    const entry = this.entries.get(id);
    if (entry && entry.lease === lease && entry.outcome === undefined && !entry.committing) this.remove(id, entry);
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

  /** Records the outcome and moves the entry to the end of the eviction order. */
  private settle(id: string, entry: Entry, outcome: IdempotencyOutcome, ttlMs: number): void {
    if (this.entries.get(id) !== entry) return;
    this.remove(id, entry);
    entry.outcome = outcome;
    entry.expiresAt = Date.now() + ttlMs;
    entry.size += 2 * outcomeLength(outcome);
    this.add(id, entry);
  }

  private add(id: string, entry: Entry): void {
    this.entries.set(id, entry);
    this.bytes += entry.size;
    if (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) this.evict();
  }

  private remove(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.bytes -= entry.size;
  }

  /** Drops the oldest completed records until both bounds hold (or only claims in flight are left). */
  private evict(): void {
    let dropped = 0;
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      if (entry.outcome === undefined || entry.committing) continue;
      this.remove(id, entry);
      dropped++;
    }
    this.evicted += dropped;
    countEvictions('idempotency', dropped);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 1_000) return;
    this.lastSweep = now;
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now && !entry.committing) this.remove(id, entry);
  }
}

function outcomeLength(outcome: IdempotencyOutcome): number {
  if (outcome.kind === 'result') return outcome.json?.length ?? 0;
  let details = 0;
  try {
    details = outcome.details ? JSON.stringify(outcome.details).length : 0;
  } catch {
    // Details JSON cannot encode are kept as they are; their size is unknown, so count the bound.
    details = 64 * 1024;
  }
  return outcome.code.length + outcome.message.length + details;
}

function idOf(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}
