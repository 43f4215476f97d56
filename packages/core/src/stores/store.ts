/**
 * The store seam: one transaction per handler run, in which the handler's own writes,
 * the inbox row and the outbox rows commit together. Each piece is optional: a store
 * may offer only idempotency records (Redis), or all three (PostgreSQL).
 */
import type { OutgoingMessage } from '../transport/broker.js';

export interface Store<Tx = unknown> {
  readonly name: string;
  connect?(): Promise<void>;
  close?(): Promise<void>;
  /** Runs `fn` in one transaction and commits when it resolves; rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  readonly outbox?: OutboxStore<Tx>;
  readonly inbox?: InboxStore<Tx>;
  readonly idempotency?: IdempotencyStore;
  health?(): Promise<{ ok: boolean; detail?: string }>;
}

export interface OutboxRecord {
  /** Store-assigned, increasing in commit order per key. */
  seq: string;
  message: OutgoingMessage;
}

export interface OutboxStore<Tx = unknown> {
  /** Writes messages in the caller's transaction; nothing is visible to the relay before commit. */
  append(tx: Tx, messages: OutgoingMessage[]): Promise<void>;
}

export interface InboxStore<Tx = unknown> {
  /** Records that `group` handled `messageId`, in `tx`. False when it already had: a duplicate. */
  record(tx: Tx, group: string, messageId: string): Promise<boolean>;
}

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type IdempotencyBegin =
  | { state: 'started' }
  | { state: 'in-flight' }
  | { state: 'mismatch' }
  | { state: 'completed'; response: StoredResponse };

export interface IdempotencyStore {
  /** Claims (scope, key) for a request with this fingerprint, or says why it cannot. */
  begin(scope: string, key: string, fingerprint: string, ttlMs: number): Promise<IdempotencyBegin>;
  complete(scope: string, key: string, response: StoredResponse, ttlMs: number): Promise<void>;
  /** Forgets an unfinished claim (the request failed in a way the client may retry). */
  release(scope: string, key: string): Promise<void>;
}
