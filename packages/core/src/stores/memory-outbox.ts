import type { OutgoingMessage } from '../transport/broker.js';
import { MemoryOutboxHistory, type MemoryOutboxHistoryOptions } from './memory-outbox-history.js';
import type { MemoryTx } from './memory-tx.js';
import {
  fairShare,
  outboxBucket,
  type OutboxAdmin,
  type OutboxReader,
  type OutboxRecord,
  type OutboxRefusal,
  type OutboxStore,
  type RefusedOutboxRecord,
} from './store.js';

interface Row {
  seq: number;
  bucket: number;
  message: OutgoingMessage;
  createdAt: number;
  attempts: number;
  lastError?: string;
  nextAttemptAt?: number;
  parkedAt?: number;
}

function recordOf(row: Row): OutboxRecord {
  return { seq: String(row.seq), message: row.message, attempts: row.attempts };
}

function refusedOf(row: Row): RefusedOutboxRecord {
  return {
    ...recordOf(row),
    lastError: row.lastError ?? '',
    createdAt: new Date(row.createdAt).toISOString(),
    ...(row.parkedAt !== undefined ? { parkedAt: new Date(row.parkedAt).toISOString() } : {}),
    ...(row.nextAttemptAt !== undefined ? { nextAttemptAt: new Date(row.nextAttemptAt).toISOString() } : {}),
  };
}

/**
 * The outbox in process memory, for tests and for running the relay without a database.
 * Rows get their sequence number at commit, so order per key is commit order. Published
 * rows leave the queue at once and are kept, bounded, in `history` for replay. Refused
 * and parked rows behave as in the SQL outbox: they hold back their key's later rows.
 */
export class MemoryOutbox implements OutboxStore<MemoryTx>, OutboxAdmin {
  private rows: Row[] = [];
  private seq = 0;
  private readonly owners = new Map<number, MemoryOutboxReader>();
  private readonly readers = new Set<MemoryOutboxReader>();
  private readonly waiters = new Set<() => void>();

  /** The events it published, for replay (bounded by `retention.outboxMs`, count and bytes). */
  readonly history: MemoryOutboxHistory;

  constructor(
    readonly buckets: number,
    retentionMs = 60 * 60_000,
    history: MemoryOutboxHistoryOptions = {},
  ) {
    this.history = new MemoryOutboxHistory(retentionMs, history);
  }

  /** Unpublished rows, parked ones included, for tests and health checks. */
  get pending(): number {
    return this.rows.length;
  }

  async append(tx: MemoryTx, messages: OutgoingMessage[]): Promise<void> {
    const copies = messages.map((m) => ({ ...m, headers: { ...m.headers } }));
    tx.onSettle((committed) => {
      if (!committed) return;
      for (const message of copies)
        this.rows.push({
          seq: ++this.seq,
          bucket: outboxBucket(message.key, this.buckets),
          message,
          createdAt: Date.now(),
          attempts: 0,
        });
      this.wakeAll();
    });
  }

  async refused(options: { parkedOnly?: boolean; limit?: number } = {}): Promise<RefusedOutboxRecord[]> {
    return this.rows
      .filter((row) => row.attempts > 0 && (!options.parkedOnly || row.parkedAt !== undefined))
      .slice(0, options.limit ?? Infinity)
      .map(refusedOf);
  }

  async retry(seqs: readonly string[] | 'all'): Promise<number> {
    let changed = 0;
    for (const row of this.rows) {
      if (row.attempts === 0 || (seqs !== 'all' && !seqs.includes(String(row.seq)))) continue;
      row.attempts = 0;
      delete row.lastError;
      delete row.nextAttemptAt;
      delete row.parkedAt;
      changed++;
    }
    if (changed > 0) this.wakeAll();
    return changed;
  }

  async discard(seqs: readonly string[]): Promise<number> {
    const before = this.rows.length;
    this.rows = this.rows.filter((row) => row.attempts === 0 || !seqs.includes(String(row.seq)));
    if (this.rows.length < before) this.wakeAll();
    return before - this.rows.length;
  }

  async counts(): Promise<{ waiting: number; parked: number }> {
    const parked = this.countParked();
    return { waiting: this.rows.length - parked, parked };
  }

  private wakeAll(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  async openReader(): Promise<OutboxReader> {
    const reader = new MemoryOutboxReader(this);
    this.readers.add(reader);
    return reader;
  }

  /** @internal */
  balance(reader: MemoryOutboxReader): number {
    const share = fairShare(this.buckets, this.readers.size);
    const owned = [...this.owners].filter(([, owner]) => owner === reader).map(([bucket]) => bucket);
    for (const bucket of owned.slice(share)) this.owners.delete(bucket);
    for (let bucket = 0, count = Math.min(owned.length, share); bucket < this.buckets && count < share; bucket++) {
      if (this.owners.has(bucket)) continue;
      this.owners.set(bucket, reader);
      count++;
    }
    return [...this.owners.values()].filter((owner) => owner === reader).length;
  }

  /** @internal */
  claim(reader: MemoryOutboxReader, limit: number): OutboxRecord[] {
    const now = Date.now();
    const out: OutboxRecord[] = [];
    // Keys behind a refused or parked row: none of their later rows may overtake it.
    const held = new Set<string>();
    for (const row of this.rows) {
      if (out.length >= limit) break;
      if (this.owners.get(row.bucket) !== reader) continue;
      const key = row.message.key;
      if (key !== undefined && held.has(key)) continue;
      if (row.attempts > 0 && key !== undefined) held.add(key);
      if (row.parkedAt !== undefined || (row.nextAttemptAt ?? 0) > now) continue;
      out.push(recordOf(row));
    }
    return out;
  }

  /** @internal */
  mark(records: OutboxRecord[]): void {
    const done = new Set(records.map((r) => Number(r.seq)));
    const published: Row[] = [];
    this.rows = this.rows.filter((row) => !done.has(row.seq) || (published.push(row), false));
    this.history.keep(published);
  }

  /** @internal */
  refuse(record: OutboxRecord, refusal: OutboxRefusal): boolean {
    const row = this.rows.find((r) => r.seq === Number(record.seq));
    if (!row) return false;
    row.attempts++;
    row.lastError = refusal.error;
    if (row.attempts >= refusal.parkAfter) {
      row.parkedAt = Date.now();
      delete row.nextAttemptAt;
      return true;
    }
    row.nextAttemptAt = Date.now() + refusal.retryInMs;
    return false;
  }

  /** @internal */
  countParked(): number {
    return this.rows.filter((row) => row.parkedAt !== undefined).length;
  }

  /** @internal */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs).unref();
      this.waiters.add(wake);
    });
  }

  /** @internal */
  remove(reader: MemoryOutboxReader): void {
    this.readers.delete(reader);
    for (const [bucket, owner] of this.owners) if (owner === reader) this.owners.delete(bucket);
    for (const wake of this.waiters) wake();
  }
}

class MemoryOutboxReader implements OutboxReader {
  alive = true;

  constructor(private readonly outbox: MemoryOutbox) {}

  async balance(): Promise<number> {
    return this.outbox.balance(this);
  }

  async claim(limit: number): Promise<OutboxRecord[]> {
    return this.outbox.claim(this, limit);
  }

  async markPublished(records: OutboxRecord[]): Promise<void> {
    this.outbox.mark(records);
  }

  async markRefused(record: OutboxRecord, refusal: OutboxRefusal): Promise<boolean> {
    return this.outbox.refuse(record, refusal);
  }

  async countParked(): Promise<number> {
    return this.outbox.countParked();
  }

  waitForAppend(timeoutMs: number): Promise<void> {
    return this.outbox.wait(timeoutMs);
  }

  async close(): Promise<void> {
    this.alive = false;
    this.outbox.remove(this);
  }
}
