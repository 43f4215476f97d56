import { PGlite } from '@electric-sql/pglite';
import { createApp, defineCommand, silentLogger } from '@tandem/core';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pgliteStore, type Transaction } from '../src/index.js';

const Outer = defineCommand('nest.outer', {
  input: z.object({ failInner: z.boolean() }),
  output: z.object({ rows: z.number() }),
});
const Inner = defineCommand('nest.inner', {
  input: z.object({ fail: z.boolean() }),
  output: z.object({ ok: z.boolean() }),
});

describe('PGlite: a command called in process from inside a handler', () => {
  const db = new PGlite();
  afterAll(() => db.close());

  it('joins the outer transaction as a savepoint instead of waiting for it forever', async () => {
    await db.query('CREATE TABLE nested_writes (who text NOT NULL)');
    const app = createApp({ name: 'nest', store: pgliteStore({ db, schema: 'nested' }), logger: silentLogger });
    app.command(Inner, async ({ fail }, ctx) => {
      await (ctx.tx as Transaction).query(`INSERT INTO nested_writes VALUES ('inner')`);
      if (fail) throw new Error('inner failed');
      return { ok: true };
    });
    app.command(Outer, async ({ failInner }, ctx) => {
      const tx = ctx.tx as Transaction;
      await tx.query(`INSERT INTO nested_writes VALUES ('outer')`);
      await ctx.call(Inner, { fail: failInner }).catch(() => undefined);
      const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM nested_writes');
      return { rows: rows[0]!.n };
    });
    await app.start();
    try {
      expect(await app.call(Outer, { failInner: false })).toEqual({ rows: 2 });
      expect(await app.call(Outer, { failInner: true })).toEqual({ rows: 3 });
    } finally {
      await app.stop();
    }
  });

  it('claims the idempotency key of a keyed call from inside the outer transaction instead of waiting for it forever', async () => {
    // A saga's dispatcher calls every command with an idempotency key; on PGlite's one
    // connection, claiming the key outside the handler's open transaction never began.
    const app = createApp({
      name: 'nest-keyed',
      store: pgliteStore({ db, schema: 'nested_keyed' }),
      logger: silentLogger,
    });
    let innerRuns = 0;
    app.command(Inner, async () => {
      innerRuns++;
      return { ok: true };
    });
    app.command(Outer, async (_input, ctx) => {
      await ctx.call(Inner, { fail: false }, { idempotencyKey: 'inner-once' });
      await ctx.call(Inner, { fail: false }, { idempotencyKey: 'inner-once' });
      return { rows: innerRuns };
    });
    await app.start();
    try {
      const answered = await Promise.race([
        app.call(Outer, { failInner: false }),
        new Promise((resolve) => setTimeout(() => resolve('hung'), 5_000)),
      ]);
      // The second call with the same key is answered from the first one's record.
      expect(answered).toEqual({ rows: 1 });
    } finally {
      await app.stop();
    }
  });
});
