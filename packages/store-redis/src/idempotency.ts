import type { IdempotencyBegin, IdempotencyStore, StoredResponse } from '@tandem/core';
import type { Redis } from 'ioredis';

interface Entry {
  fingerprint: string;
  response?: StoredResponse;
}

/** Idempotency records on Redis: one JSON value per (scope, key), changed only by Lua scripts, expiring with PX. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keyOf(scope: string, key: string): string {
    return `${this.prefix}idempotency:${scope}:${key}`;
  }

  async begin(scope: string, key: string, fingerprint: string, ttlMs: number): Promise<IdempotencyBegin> {
    const fresh: Entry = { fingerprint };
    const existing = await this.redis.idempotencyBegin(this.keyOf(scope, key), JSON.stringify(fresh), Math.ceil(ttlMs));
    if (existing === null) return { state: 'started' };
    const entry = JSON.parse(existing) as Entry;
    if (entry.fingerprint !== fingerprint) return { state: 'mismatch' };
    return entry.response ? { state: 'completed', response: entry.response } : { state: 'in-flight' };
  }

  async complete(scope: string, key: string, response: StoredResponse, ttlMs: number): Promise<void> {
    await this.redis.idempotencyComplete(this.keyOf(scope, key), JSON.stringify(response), Math.ceil(ttlMs));
  }

  async release(scope: string, key: string): Promise<void> {
    await this.redis.idempotencyRelease(this.keyOf(scope, key));
  }
}
