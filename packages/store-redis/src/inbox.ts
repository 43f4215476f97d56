import { randomUUID } from 'node:crypto';
import { UnavailableError, type InboxStore } from '@tandem/core';
import type { Redis } from 'ioredis';
import type { RedisTx } from './redis-tx.js';

const DONE = 'done';

/**
 * The inbox on Redis. A delivery claims the message id with SET NX (expiring, should the
 * consumer die), turns the claim into "done" for the retention period when the handler
 * succeeds, and deletes its own claim when it fails. A duplicate of a message still being
 * handled is told to retry later (a retriable error) rather than waiting on Redis.
 */
export class RedisInbox implements InboxStore<RedisTx> {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly retentionMs: number,
    private readonly claimMs: number,
  ) {}

  async record(tx: RedisTx, group: string, messageId: string): Promise<boolean> {
    const key = `${this.prefix}inbox:${group}:${messageId}`;
    const claim = `pending:${randomUUID()}`;
    const taken = await this.redis.set(key, claim, 'PX', this.claimMs, 'NX');
    if (taken === null) {
      if ((await this.redis.get(key)) === DONE) return false;
      throw new UnavailableError(
        `message ${messageId} is being handled by another consumer of group '${group}'; it will be retried`,
      );
    }
    tx.onSettle(async (committed) => {
      if (committed) await this.redis.set(key, DONE, 'PX', this.retentionMs);
      else await this.redis.releaseClaim(key, claim);
    });
    return true;
  }
}
