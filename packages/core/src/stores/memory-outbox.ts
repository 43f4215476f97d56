import type { OutgoingMessage } from '../transport/broker.js';
import type { MemoryTx } from './memory-tx.js';
import { fairShare, outboxBucket, type OutboxReader, type OutboxRecord, type OutboxStore } from './store.js';

interface Row {
  seq: number;
  bucket: number;
  message: OutgoingMessage;
}

/**
 * The outbox in process memory, for tests and for running the relay without a database.
 * Rows get their sequence number at commit, so order per key is commit order. Marked
 * rows are dropped at once: there is nothing to inspect after a restart anyway.
 */
export class MemoryOutbox implements OutboxStore<MemoryTx> {
  private rows: Row[] = [];
  private seq = 0;
  private readonly owners = new Map<number, MemoryOutboxReader>();
  private readonly readers = new Set<MemoryOutboxReader>();
  private readonly waiters = new Set<() => void>();

  constructor(readonly buckets: number) {}

  /** Unpublished rows, for tests and health checks. */
  get pending(): number {
    return this.rows.length;
  }

  async append(tx: MemoryTx, messages: OutgoingMessage[]): Promise<void> {
    const copies = messages.map((m) => ({ ...m, headers: { ...m.headers } }));
    tx.onSettle((committed) => {
      if (!committed) return;
      for (const message of copies)
        this.rows.push({ seq: ++this.seq, bucket: outboxBucket(message.key, this.buckets), message });
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    });
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
    const out: OutboxRecord[] = [];
    for (const row of this.rows) {
      if (out.length >= limit) break;
      if (this.owners.get(row.bucket) === reader) out.push({ seq: String(row.seq), message: row.message });
    }
    return out;
  }

  /** @internal */
  mark(records: OutboxRecord[]): void {
    const done = new Set(records.map((r) => Number(r.seq)));
    this.rows = this.rows.filter((row) => !done.has(row.seq));
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

  waitForAppend(timeoutMs: number): Promise<void> {
    return this.outbox.wait(timeoutMs);
  }

  async close(): Promise<void> {
    this.alive = false;
    this.outbox.remove(this);
  }
}
