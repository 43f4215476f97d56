/**
 * The store seam: one transaction per handler run, in which the handler's own writes,
 * the inbox row and the outbox rows commit together. Each piece is optional: a store
 * may offer only idempotency records and an inbox (Redis), or all three (PostgreSQL).
 */
import type { SagaStore } from '../sagas/saga-store.js';
import type { OutgoingMessage } from '../transport/broker.js';

/** Where the outbox, inbox and idempotency records live (memory, PostgreSQL, Redis). */
export interface Store<Tx = unknown> {
  readonly name: string;
  connect?(): Promise<void>;
  close?(): Promise<void>;
  /** Runs `fn` in one transaction and commits when it resolves; rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` inside `tx` so that what it wrote is undone alone when it throws (a SQL
   * savepoint). An in-process sync call joins its caller's transaction through it, so a
   * callee that fails leaves nothing behind even when the caller catches the error. `fn`
   * gets the transaction to use inside: `tx` itself for SQL, a child for the memory store.
   */
  nested?<T>(tx: Tx, fn: (tx: Tx) => Promise<T>): Promise<T>;
  readonly outbox?: OutboxStore<Tx>;
  readonly inbox?: InboxStore<Tx>;
  readonly idempotency?: IdempotencyStore<Tx>;
  /** Saga instances, in the same database as the outbox and inbox (see docs/sagas.md). */
  readonly sagas?: SagaStore<Tx>;
  health?(): Promise<{ ok: boolean; detail?: string }>;
}

/** An event written to the outbox in the handler's transaction, waiting for the relay. */
export interface OutboxRecord {
  /** Store-assigned, increasing in commit order per key. */
  seq: string;
  message: OutgoingMessage;
  /** How often the broker refused this record on its own; 0 for a record never refused. */
  attempts: number;
}

/** The outbox part of a store: written in the handler's transaction, read by the relay. */
export interface OutboxStore<Tx = unknown> {
  /** Writes messages in the caller's transaction; nothing is visible to the relay before commit. */
  append(tx: Tx, messages: OutgoingMessage[]): Promise<void>;
  /**
   * Opens a reader for a relay. Readers share the outbox by key range: each range has at
   * most one owner at a time among all readers (all app instances), so order per key holds.
   */
  openReader(): Promise<OutboxReader>;
}

/** What the relay records when the broker refused one record on its own. */
export interface OutboxRefusal {
  /** The broker's error message, kept with the record for `tandem outbox list`. */
  error: string;
  /** The record (and the later records of its key) wait this long before the next attempt. */
  retryInMs: number;
  /** Parks the record once it has been refused this many times. */
  parkAfter: number;
}

/** What the relay reads from the outbox. */
export interface OutboxReader {
  /** Takes free key ranges up to a fair share of the live readers, releases any above it; returns how many it owns. */
  balance(): Promise<number>;
  /**
   * The oldest committed, unpublished records in the ranges it owns, in order per key.
   * Left out: parked records, refused records whose retry time has not come, and every
   * record behind a refused or parked record of the same key, so none overtakes it.
   */
  claim(limit: number): Promise<OutboxRecord[]>;
  /** Marks records the broker confirmed; they are removed after the store's retention period. */
  markPublished(records: OutboxRecord[]): Promise<void>;
  /** Counts one refusal of `record` with its error; resolves true when that parked it. */
  markRefused(record: OutboxRecord, refusal: OutboxRefusal): Promise<boolean>;
  /** Parked records in the whole outbox, every key range. */
  countParked(): Promise<number>;
  /** Resolves when records may have been committed since (LISTEN/NOTIFY, or a local signal), or after `timeoutMs`. */
  waitForAppend(timeoutMs: number): Promise<void>;
  /** False once the reader lost its connection (and with it its key ranges); the relay opens a new one. */
  readonly alive: boolean;
  /** Releases its key ranges. */
  close(): Promise<void>;
}

/** A record the broker refused at least once, as operators see it. */
export interface RefusedOutboxRecord extends OutboxRecord {
  lastError: string;
  createdAt: string;
  /** When it was parked; absent while the relay still retries it. */
  parkedAt?: string;
  /** When the relay tries it next; absent once parked. */
  nextAttemptAt?: string;
}

/**
 * Refused and parked outbox records, for operators (`tandem outbox list|retry|discard`).
 * An outbox offers it when it can: `outboxAdminOf(store.outbox)`.
 */
export interface OutboxAdmin {
  /** Refused records, oldest first; only parked ones with `parkedOnly`. */
  refused(options?: { parkedOnly?: boolean; limit?: number }): Promise<RefusedOutboxRecord[]>;
  /**
   * Makes refused records (parked or still retried) new again: claimable at once, ahead of
   * their key's later records. `'all'` takes every refused record. Returns how many changed.
   */
  retry(seqs: readonly string[] | 'all'): Promise<number>;
  /** Deletes refused records for good, which lets their key's later records go. Returns how many. */
  discard(seqs: readonly string[]): Promise<number>;
  /** Unpublished records: waiting (parked ones excluded) and parked. */
  counts(): Promise<{ waiting: number; parked: number }>;
}

/** The outbox's operator access when it offers one (the SQL and memory outboxes do). */
export function outboxAdminOf(outbox: OutboxStore<never> | undefined): OutboxAdmin | undefined {
  const admin = outbox as Partial<OutboxAdmin> | undefined;
  return typeof admin?.refused === 'function' &&
    typeof admin.retry === 'function' &&
    typeof admin.discard === 'function' &&
    typeof admin.counts === 'function'
    ? (admin as OutboxAdmin)
    : undefined;
}

/** The inbox part of a store: which message ids a consumer group has handled, for exactly-once effects. */
export interface InboxStore<Tx = unknown> {
  /** Records that `group` handled `messageId`, in `tx`. False when it already had: a duplicate. */
  record(tx: Tx, group: string, messageId: string): Promise<boolean>;
}

/**
 * What a command's run ended with, kept for replay under its idempotency key: its result
 * as JSON (absent for a command that returns nothing), or the Tandem error it failed with
 * for good. Transports turn it back into their own answer (an HTTP status and body).
 */
export type IdempotencyOutcome =
  | { kind: 'result'; json?: string }
  | { kind: 'error'; code: string; message: string; details?: Record<string, unknown> };

/** The outcome of claiming an idempotency key: new, in progress, or done with its stored answer. */
export type IdempotencyBegin =
  /** The key is this caller's now; `lease` is the owner token every later call must show. */
  | { state: 'started'; lease: string }
  | { state: 'in-flight' }
  | { state: 'mismatch' }
  | { state: 'completed'; outcome: IdempotencyOutcome };

/**
 * Idempotency records as leases. `begin` claims a key for `leaseMs` and hands out an owner
 * token; a long run renews its lease, and completes or releases only while it still holds
 * it. A run whose lease lapsed (its instance stalled or died) and was taken by a retry can
 * neither overwrite nor delete the new owner's record.
 */
export interface IdempotencyStore<Tx = unknown> {
  /** Claims (scope, key) for a request with this fingerprint, or says why it cannot. */
  begin(scope: string, key: string, fingerprint: string, leaseMs: number): Promise<IdempotencyBegin>;
  /** Extends the lease to `leaseMs` from now; false when the key is no longer this lease's. */
  renew(scope: string, key: string, lease: string, leaseMs: number): Promise<boolean>;
  /** Keeps `outcome` for replay until `ttlMs` from now; false (and nothing stored) when the lease was lost. */
  complete(scope: string, key: string, lease: string, outcome: IdempotencyOutcome, ttlMs: number): Promise<boolean>;
  /**
   * As `complete`, written in the handler's own transaction `tx`, so the record commits if
   * and only if the handler's writes do: a crash between commit and completion cannot free
   * the key. Offered by stores whose records live in the database the handler writes to.
   */
  completeIn?(
    tx: Tx,
    scope: string,
    key: string,
    lease: string,
    outcome: IdempotencyOutcome,
    ttlMs: number,
  ): Promise<boolean>;
  /**
   * As `begin`, inside transaction `tx`: for a command called in process that joins its
   * caller's transaction. The claim commits (or rolls back) with that transaction, and a
   * concurrent claim of the key from another transaction waits for it rather than failing.
   * It needs no connection of its own: made with `begin`, every caller holding a pooled
   * connection for its transaction while claiming on another can drain the pool. Offered by
   * stores whose records live in the database the handler writes to (with `completeIn`).
   */
  beginIn?(tx: Tx, scope: string, key: string, fingerprint: string, leaseMs: number): Promise<IdempotencyBegin>;
  /** Forgets an unfinished claim held by `lease`; a completed record, or another owner's, is kept. */
  release(scope: string, key: string, lease: string): Promise<void>;
}

/** How long records are kept, for stores that clean up themselves. */
export interface RetentionOptions {
  /**
   * Published outbox rows, kept for `tandem replay` (how far back it reaches on every broker
   * but Kafka). Default 1 hour.
   */
  outboxMs?: number;
  /** Inbox rows: a redelivery later than this is handled again. Default 7 days. */
  inboxMs?: number;
  /**
   * Saga instances that ended (completed, compensated), counted from their last change: a
   * message arriving later than this for an ended instance starts a new one. Default 7 days.
   */
  sagasMs?: number;
}

/** How long records are kept when no retention is set. */
export const defaultRetention: Required<RetentionOptions> = {
  outboxMs: 60 * 60_000,
  inboxMs: 7 * 24 * 60 * 60_000,
  sagasMs: 7 * 24 * 60 * 60_000,
};

/** Ranges of keys (buckets) an outbox is split into; each is owned by one relay at a time. */
export const DEFAULT_OUTBOX_BUCKETS = 32;

/** A stable bucket for a key (FNV-1a); messages without a key are spread at random. */
export function outboxBucket(key: string | undefined, buckets: number): number {
  if (key === undefined) return Math.floor(Math.random() * buckets);
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % buckets;
}

/** How many ranges a reader should own when `readers` share `buckets`. */
export function fairShare(buckets: number, readers: number): number {
  return Math.ceil(buckets / Math.max(1, readers));
}
