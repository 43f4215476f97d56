import { randomBytes } from 'node:crypto';
import { fromEnv } from '@tandem/core';
import { probeTcp, runStoreConformance, serviceAvailable } from '@tandem/core/testing';
import { httpServer } from '@tandem/transport-http';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisStore, type RedisTx } from '../src/index.js';

const REDIS_URL = process.env.TANDEM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const available = await serviceAvailable('Redis at 127.0.0.1:6379', () => probeTcp('127.0.0.1', 6379));

describe.skipIf(!available)('store-redis on Redis', () => {
  // A key prefix per test file, so suites running side by side never share keys.
  const keyPrefix = `tandem-test:${randomBytes(5).toString('hex')}:`;
  const admin = new Redis(REDIS_URL, { lazyConnect: true });

  afterAll(async () => {
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  runStoreConformance<RedisTx>({
    name: 'redis',
    create: async () => redisStore({ url: REDIS_URL, keyPrefix }),
    // Redis cannot share a transaction with other writes: the side effect is applied when the handler commits.
    effects: {
      async write(tx, id) {
        tx.onSettle(async (committed) => {
          if (committed) await admin.incr(`${keyPrefix}effects:${id}`);
        });
      },
      async count(id) {
        return Number((await admin.get(`${keyPrefix}effects:${id}`)) ?? 0);
      },
    },
    httpServer: () => httpServer({ port: 0, host: '127.0.0.1' }),
  });

  it('TANDEM_STORE_URL=redis://... selects this store', async () => {
    const config = await fromEnv({ TANDEM_STORE_URL: `${REDIS_URL}/0?prefix=${encodeURIComponent(keyPrefix)}` });
    expect(config.store?.name).toBe('redis');
    await config.store!.connect!();
    expect(await config.store!.health!()).toMatchObject({ ok: true });
    await config.store!.close!();
  });
});
