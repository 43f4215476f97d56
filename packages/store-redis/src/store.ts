import { defaultRetention, type RetentionOptions, type Store } from '@tandem/core';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisIdempotencyStore } from './idempotency.js';
import { RedisInbox } from './inbox.js';
import { RedisTx } from './redis-tx.js';
import { defineScripts } from './scripts.js';
import { redisStartError } from './start-errors.js';

/** Options of the Redis store: URL or client, key prefix, retention. */
export interface RedisStoreOptions {
  /** `redis://host:6379/0`; ignored when `client` is given. */
  url?: string;
  /** Your own ioredis client; the store never quits it. */
  client?: Redis;
  /** Options for the client the store makes. */
  redis?: RedisOptions;
  /** Prefix of every key. Default 'tandem:'. */
  keyPrefix?: string;
  /** `inboxMs`: how long handled message ids are remembered. Default 7 days. */
  retention?: Pick<RetentionOptions, 'inboxMs'>;
  /** How long a message being handled blocks its duplicates, should its consumer die. Default 60 s. */
  inboxClaimMs?: number;
  /** The setting the URL came from, named in start-up errors. Default 'redisStore url'. */
  setting?: string;
}

/**
 * Inbox and idempotency records on Redis (no outbox: Redis cannot join the transaction of
 * the handler's own database writes). `ctx.tx` is a RedisTx: the inbox record becomes
 * final when the handler succeeds and is undone when it fails.
 */
export class RedisStore implements Store<RedisTx> {
  readonly name = 'redis';
  readonly inbox: RedisInbox;
  readonly idempotency: RedisIdempotencyStore;
  readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly setting: string;

  constructor(options: RedisStoreOptions = {}) {
    this.ownsClient = !options.client;
    this.setting = options.setting ?? 'redisStore url';
    this.redis =
      options.client ??
      (options.url !== undefined
        ? new Redis(options.url, { lazyConnect: true, ...options.redis })
        : new Redis({ lazyConnect: true, ...options.redis }));
    defineScripts(this.redis);
    const prefix = options.keyPrefix ?? 'tandem:';
    this.inbox = new RedisInbox(
      this.redis,
      prefix,
      options.retention?.inboxMs ?? defaultRetention.inboxMs,
      options.inboxClaimMs ?? 60_000,
    );
    this.idempotency = new RedisIdempotencyStore(this.redis, prefix);
  }

  async connect(): Promise<void> {
    // ioredis rejects connect() with "Connection is closed." at best, and a refused login can
    // also leave the PING queued while it reconnects and is refused again, for many seconds:
    // the first 'error' event (which says why) ends the start at once.
    let reason: unknown;
    let stop: (error: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (stop = reject));
    const onError = (error: unknown): void => {
      reason ??= error;
      stop(error);
    };
    this.redis.on('error', onError);
    try {
      await Promise.race([this.ping(), failed]);
    } catch (error) {
      // Do not leave ioredis reconnecting to a server that refused us or is not there.
      if (this.ownsClient) this.redis.disconnect();
      const { host, port } = this.redis.options;
      throw redisStartError(reason ?? error, this.setting, `${host ?? 'localhost'}:${port ?? 6379}`);
    } finally {
      this.redis.off('error', onError);
    }
  }

  private async ping(): Promise<void> {
    if (this.redis.status === 'wait') await this.redis.connect();
    await this.redis.ping();
  }

  async transaction<T>(fn: (tx: RedisTx) => Promise<T>): Promise<T> {
    const tx = new RedisTx();
    let result: T;
    try {
      result = await fn(tx);
    } catch (error) {
      await tx.settle(false);
      throw error;
    }
    await tx.settle(true);
    return result;
  }

  /** A savepoint: the child's writes join `tx` when `fn` succeeds and are undone alone when it throws. */
  async nested<T>(tx: RedisTx, fn: (tx: RedisTx) => Promise<T>): Promise<T> {
    const child = tx.child();
    let result: T;
    try {
      result = await fn(child);
    } catch (error) {
      await child.release(false);
      throw error;
    }
    await child.release(true);
    return result;
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    return { ok: this.redis.status === 'ready', detail: `redis ${this.redis.status}` };
  }

  async close(): Promise<void> {
    if (this.ownsClient && this.redis.status !== 'end') await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** A store on Redis: inbox and idempotency records (no outbox). */
export function redisStore(options: RedisStoreOptions = {}): RedisStore {
  return new RedisStore(options);
}
