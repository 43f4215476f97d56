import { MemoryIdempotencyStore, type MemoryIdempotencyOptions } from './memory-idempotency.js';
import { MemoryInbox, type MemoryInboxOptions } from './memory-inbox.js';
import { MemoryOutbox } from './memory-outbox.js';
import type { MemoryOutboxHistoryOptions } from './memory-outbox-history.js';
import { MemorySagaStore } from './memory-sagas.js';
import { MemoryTx } from './memory-tx.js';
import { DEFAULT_OUTBOX_BUCKETS, defaultRetention, type RetentionOptions, type Store } from './store.js';

/** Options of the in-process store: retention and bounds. */
export interface MemoryStoreOptions {
  /** Route ctx.publish through an in-memory outbox and relay. Default true. */
  outbox?: boolean;
  /** Key ranges of the outbox. Default 32. */
  buckets?: number;
  /** How long records are kept; `outboxMs` is how far back `replay` reaches (default 1 hour). */
  retention?: RetentionOptions;
  /** Bounds of the published events kept for replay. Defaults 10,000 events, 16 MiB. */
  outboxHistory?: MemoryOutboxHistoryOptions;
  /** Bounds of the idempotency records. Defaults 100,000 records, 64 MiB. */
  idempotency?: MemoryIdempotencyOptions;
  /** Bounds of the inbox's handled ids. Defaults 100,000 ids, 16 MiB. */
  inbox?: MemoryInboxOptions;
}

/**
 * A store in process memory: inbox, idempotency records, saga instances and (optionally) an outbox with
 * the same semantics as the database stores, minus durability. `ctx.tx` is a MemoryTx.
 */
export class MemoryStore implements Store<MemoryTx> {
  readonly name = 'memory';
  readonly outbox: MemoryOutbox | undefined;
  readonly inbox: MemoryInbox;
  readonly idempotency: MemoryIdempotencyStore;
  readonly sagas = new MemorySagaStore();

  constructor(options: MemoryStoreOptions = {}) {
    const retention = { ...defaultRetention, ...options.retention };
    this.inbox = new MemoryInbox(retention.inboxMs, options.inbox);
    this.idempotency = new MemoryIdempotencyStore(options.idempotency);
    this.outbox =
      options.outbox === false
        ? undefined
        : new MemoryOutbox(options.buckets ?? DEFAULT_OUTBOX_BUCKETS, retention.outboxMs, options.outboxHistory);
  }

  async transaction<T>(fn: (tx: MemoryTx) => Promise<T>): Promise<T> {
    const tx = new MemoryTx();
    try {
      const result = await fn(tx);
      tx.settle(true);
      return result;
    } catch (error) {
      tx.settle(false);
      throw error;
    }
  }

  /** A savepoint: the child's writes join `tx` when `fn` succeeds and are dropped alone when it throws. */
  async nested<T>(tx: MemoryTx, fn: (tx: MemoryTx) => Promise<T>): Promise<T> {
    const child = tx.child();
    try {
      const result = await fn(child);
      child.release(true);
      return result;
    } catch (error) {
      child.release(false);
      throw error;
    }
  }
}

/** An in-process store (outbox, inbox, idempotency records) that lives as long as the process; for tests and single-process apps. */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}
