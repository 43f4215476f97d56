/**
 * PGlite has one connection: a command called in process with an idempotency key, from a
 * handler's transaction, claims its key on that connection, inside the transaction, rather
 * than waiting for the transaction to end (which waits for the call: a deadlock).
 */
import { PGlite } from '@electric-sql/pglite';
import { createApp, defineCommand, service, silentLogger } from '@tandem/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pgliteStore } from '../src/index.js';

const Reserve = defineCommand('joined.reserve', {
  input: z.object({ sku: z.string() }),
  output: z.object({ ok: z.boolean() }),
});
const Place = defineCommand('joined.place', {
  input: z.object({ sku: z.string() }),
  output: z.object({ ok: z.boolean() }),
});

describe('PGlite: a keyed in-process call from a handler', () => {
  const db = new PGlite();
  afterAll(() => db.close());

  it('runs once and replays, without waiting for its caller', { timeout: 60_000 }, async () => {
    let runs = 0;
    const app = createApp({
      services: [
        service('joined')
          .command(Reserve, () => {
            runs++;
            return { ok: true };
          })
          .command(Place, ({ sku }, ctx) =>
            ctx.call(Reserve, { sku }, { idempotencyKey: `reserve-${sku}`, timeoutMs: 5_000 }),
          ),
      ],
      store: pgliteStore({ db, schema: 'joined', cleanupIntervalMs: 0 }),
      logger: silentLogger,
    });
    await app.start();
    try {
      await expect(app.call(Place, { sku: 'tea' })).resolves.toEqual({ ok: true });
      await expect(app.call(Place, { sku: 'tea' })).resolves.toEqual({ ok: true });
      expect(runs).toBe(1);
    } finally {
      await app.stop();
    }
  });
});
