import { createApp, defineCommand, service, silentLogger, TimeoutError } from '@tandem/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable } from './harness.js';

const available = await postgresAvailable();

/**
 * A run whose deadline passes while its statement is on the wire ends at once, but the
 * connection is still busy with that statement. The store's ROLLBACK must wait for it
 * rather than be queued behind it on the client: node-postgres 8 warns about a query sent
 * while another runs (and 9 refuses it), and the order must hold on either.
 */
describe.skipIf(!available)('a statement in flight when its run ends on PostgreSQL', () => {
  const schema = testSchema();
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  const stores: pg.Pool[] = [];
  /** The most statements one client ever had outstanding at once, across the pools made here. */
  let mostInFlight = 0;

  /** A store on a pool of one connection whose client counts the statements it has outstanding. */
  function countedStore() {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    pool.on('connect', (client) => {
      let inFlight = 0;
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        const result = query(...args);
        if (!(result instanceof Promise)) return result;
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        return result.finally(() => inFlight--);
      };
    });
    stores.push(pool);
    return postgresStore({ pool, schema, cleanupIntervalMs: 0 });
  }

  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(`CREATE TABLE "${schema}".rows (id text PRIMARY KEY)`);
  });
  afterAll(async () => {
    await Promise.all(stores.map((pool) => pool.end()));
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('rolls back after the statement settles, sends nothing on a busy client, and the connection serves the next run', async () => {
    const Row = z.object({ id: z.string() });
    const Slow = defineCommand('rows.slow', { input: Row, output: Row });
    const Fast = defineCommand('rows.fast', { input: Row, output: Row });
    const insert = (tx: unknown, id: string) =>
      (tx as pg.PoolClient).query(`INSERT INTO "${schema}".rows (id) VALUES ($1)`, [id]);
    const rows = service('rows')
      .command(Slow, async ({ id }, ctx) => {
        await insert(ctx.tx, id);
        await (ctx.tx as pg.PoolClient).query('SELECT pg_sleep(0.4)');
        return { id };
      })
      .command(Fast, async ({ id }, ctx) => {
        await insert(ctx.tx, id);
        return { id };
      });
    // One pooled connection: the next run gets the one the slow run was using.
    mostInFlight = 0;
    const store = countedStore();
    const app = createApp({ services: [rows], store, relay: false, logger: silentLogger });
    await app.start();
    try {
      await expect(app.call(Slow, { id: 'slow' }, { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
      await expect(app.call(Fast, { id: 'fast' })).resolves.toEqual({ id: 'fast' });
      const { rows: committed } = await admin.query<{ id: string }>(`SELECT id FROM "${schema}".rows ORDER BY id`);
      expect(committed.map((r) => r.id)).toEqual(['fast']);
      // Warnings are emitted on the next tick.
      expect(mostInFlight).toBe(1);
    } finally {
      await app.stop();
    }
  });
  it('a joined callee past its deadline mid-statement: its savepoint is rolled back after the statement settles, and the caller goes on', async () => {
    const Row = z.object({ id: z.string() });
    const Check = defineCommand('stock.check', { input: Row, output: Row });
    const Place = defineCommand('orders.place-joined', { input: Row, output: Row });
    const insert = (tx: unknown, id: string) =>
      (tx as pg.PoolClient).query(`INSERT INTO "${schema}".rows (id) VALUES ($1)`, [id]);
    const stock = service('stock').command(Check, async ({ id }, ctx) => {
      await insert(ctx.tx, `callee-${id}`);
      await (ctx.tx as pg.PoolClient).query('SELECT pg_sleep(0.4)');
      return { id };
    });
    const orders = service('orders').command(Place, async ({ id }, ctx) => {
      await insert(ctx.tx, `caller-${id}`);
      await expect(ctx.call(Check, { id }, { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
      await insert(ctx.tx, `after-${id}`);
      return { id };
    });
    mostInFlight = 0;
    const store = countedStore();
    const app = createApp({ services: [stock, orders], store, relay: false, logger: silentLogger });
    await app.start();
    try {
      await expect(app.call(Place, { id: 'j' })).resolves.toEqual({ id: 'j' });
      const { rows: committed } = await admin.query<{ id: string }>(
        `SELECT id FROM "${schema}".rows WHERE id LIKE '%-j' ORDER BY id`,
      );
      expect(committed.map((r) => r.id)).toEqual(['after-j', 'caller-j']);
      expect(mostInFlight).toBe(1);
    } finally {
      await app.stop();
    }
  });
  it('a caller past its deadline while its joined callee is mid-statement: both roll back after the statement settles', async () => {
    const Row = z.object({ id: z.string() });
    const Check = defineCommand('stock.check-slow', { input: Row, output: Row });
    const Place = defineCommand('orders.place-slow', { input: Row, output: Row });
    const Fast = defineCommand('rows.fast-after', { input: Row, output: Row });
    const insert = (tx: unknown, id: string) =>
      (tx as pg.PoolClient).query(`INSERT INTO "${schema}".rows (id) VALUES ($1)`, [id]);
    const stock = service('stock').command(Check, async ({ id }, ctx) => {
      await insert(ctx.tx, `callee-${id}`);
      await (ctx.tx as pg.PoolClient).query('SELECT pg_sleep(0.4)');
      return { id };
    });
    const orders = service('orders')
      .command(Place, async ({ id }, ctx) => {
        await insert(ctx.tx, `caller-${id}`);
        return ctx.call(Check, { id });
      })
      .command(Fast, async ({ id }, ctx) => {
        await insert(ctx.tx, id);
        return { id };
      });
    mostInFlight = 0;
    const store = countedStore();
    const app = createApp({ services: [stock, orders], store, relay: false, logger: silentLogger });
    await app.start();
    try {
      await expect(app.call(Place, { id: 'k' }, { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
      await expect(app.call(Fast, { id: 'fast-k' })).resolves.toEqual({ id: 'fast-k' });
      const { rows: committed } = await admin.query<{ id: string }>(
        `SELECT id FROM "${schema}".rows WHERE id LIKE '%-k' ORDER BY id`,
      );
      expect(committed.map((r) => r.id)).toEqual(['fast-k']);
      expect(mostInFlight).toBe(1);
    } finally {
      await app.stop();
    }
  });
  it("a handler's concurrent statements on ctx.tx run one at a time, in the order made", async () => {
    const Row = z.object({ id: z.string() });
    const Many = defineCommand('rows.many', { input: Row, output: z.object({ ids: z.array(z.string()) }) });
    const rows = service('rows-many').command(Many, async ({ id }, ctx) => {
      const tx = ctx.tx as pg.PoolClient;
      const ids = Array.from({ length: 4 }, (_, i) => `${id}-${i}`);
      await Promise.all(ids.map((each) => tx.query(`INSERT INTO "${schema}".rows (id) VALUES ($1)`, [each])));
      const { rows: seen } = await tx.query<{ id: string }>(
        `SELECT id FROM "${schema}".rows WHERE id LIKE $1 ORDER BY xmin::text::bigint, ctid`,
        [`${id}-%`],
      );
      return { ids: seen.map((r) => r.id) };
    });
    mostInFlight = 0;
    const store = countedStore();
    const app = createApp({ services: [rows], store, relay: false, logger: silentLogger });
    await app.start();
    try {
      await expect(app.call(Many, { id: 'm' })).resolves.toEqual({ ids: ['m-0', 'm-1', 'm-2', 'm-3'] });
      expect(mostInFlight).toBe(1);
    } finally {
      await app.stop();
    }
  });
});
