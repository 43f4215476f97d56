import { randomUUID } from 'node:crypto';
import type { IdempotencyBegin, IdempotencyOutcome, IdempotencyStore } from '@tandem/core';
import type { Redis } from 'ioredis';

/** Between a lease token's random part and the fingerprint it carries (a uuid has no space). */
const LEASE_SEPARATOR = ' ';

interface Entry {
  fingerprint: string;
  lease: string;
  /** The outcome's JSON text, kept as written so a replay is byte for byte the first answer. */
  outcome?: string;
}

/**
 * Idempotency records on Redis as leases: one JSON value per (scope, key) holding its
 * owner's token, changed only by Lua scripts that check it, expiring with PX (the lease,
 * then the replay period). Redis cannot join the handler's database transaction, so the
 * outcome is stored right after the handler's commit (no `completeIn`): a crash between
 * the two frees the key once its lease lapses (see docs/reliability.md). A pause there
 * longer than the lease does not: completing a lapsed record nobody took writes it again.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keyOf(scope: string, key: string): string {
    return `${this.prefix}idempotency:${scope}:${key}`;
  }

  async begin(scope: string, key: string, fingerprint: string, leaseMs: number): Promise<IdempotencyBegin> {
    // The token carries the request's fingerprint, so a record that lapsed can be written again on completion.
    const lease = `${randomUUID()}${LEASE_SEPARATOR}${fingerprint}`;
    const fresh: Entry = { fingerprint, lease };
    const existing = await this.redis.idempotencyBegin(
      this.keyOf(scope, key),
      JSON.stringify(fresh),
      Math.ceil(leaseMs),
    );
    if (existing === null) return { state: 'started', lease };
    const entry = JSON.parse(existing) as Entry;
    if (entry.fingerprint !== fingerprint) return { state: 'mismatch' };
    if (entry.outcome === undefined) return { state: 'in-flight' };
    return { state: 'completed', outcome: JSON.parse(entry.outcome) as IdempotencyOutcome };
  }

  async renew(scope: string, key: string, lease: string, leaseMs: number): Promise<boolean> {
    return (await this.redis.idempotencyRenew(this.keyOf(scope, key), lease, Math.ceil(leaseMs))) === 1;
  }

  async complete(
    scope: string,
    key: string,
    lease: string,
    outcome: IdempotencyOutcome,
    ttlMs: number,
  ): Promise<boolean> {
    const done = await this.redis.idempotencyComplete(
      this.keyOf(scope, key),
      lease,
      JSON.stringify(outcome),
      Math.ceil(ttlMs),
      lease.slice(lease.indexOf(LEASE_SEPARATOR) + 1),
    );
    return done === 1;
  }

  async release(scope: string, key: string, lease: string): Promise<void> {
    await this.redis.idempotencyRelease(this.keyOf(scope, key), lease);
  }
}
