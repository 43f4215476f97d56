/**
 * Event handlers that call a command of their own app with an idempotency key, more of them
 * at once than the store's pool has connections: every call claims its key while its caller
 * holds a connection for its transaction. The claims must not need a connection of their own,
 * or the pool runs dry with every holder waiting for another connection.
 */
import { createApp, defineCommand, defineEvent, service, silentLogger } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable, dropSchema } from './harness.js';

const available = await postgresAvailable();

const Requested = defineEvent('pool.requested', { data: z.object({ n: z.number() }) });
const Reserve = defineCommand('pool.reserve', {
  input: z.object({ n: z.number() }),
  output: z.object({ ok: z.boolean() }),
});

describe.skipIf(!available)('keyed in-process calls from more handlers than the pool has connections', () => {
  const schema = testSchema();
  afterAll(async () => {
    await dropSchema(schema);
  });

  it('all complete, each command once', { timeout: 60_000 }, async () => {
    const runs = new Map<number, number>();
    const handled = new Set<number>();
    const app = createApp({
      services: [
        service('pool')
          .command(Reserve, async ({ n }) => {
            runs.set(n, (runs.get(n) ?? 0) + 1);
            await new Promise((resolve) => setTimeout(resolve, 20));
            return { ok: true };
          })
          .onEvent(
            Requested,
            async ({ n }, ctx) => {
              await ctx.call(Reserve, { n }, { idempotencyKey: `reserve-${n}`, timeoutMs: 10_000 });
              handled.add(n);
            },
            { concurrency: 32 },
          ),
      ],
      store: postgresStore({ connectionString: PG_URL, schema, max: 4, cleanupIntervalMs: 0 }),
      logger: silentLogger,
      concurrency: 32,
    });
    await app.start();
    try {
      for (let n = 0; n < 64; n++) await app.publish(Requested, { n }, { key: String(n) });
      await eventually('every event to be handled', () => handled.size === 64, 40_000);
      expect([...runs.values()].every((count) => count === 1)).toBe(true);
    } finally {
      await app.stop();
    }
  });
});
