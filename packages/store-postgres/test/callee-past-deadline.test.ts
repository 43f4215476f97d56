import { createApp, defineCommand, service, silentLogger, TimeoutError } from '@tandem/core';
import { eventually, sleep } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable } from './harness.js';

const available = await postgresAvailable();

/**
 * An in-process callee joins its caller's transaction on the caller's connection. When the
 * callee outlives its deadline, the caller fails and rolls back, and the connection goes
 * back to the pool, where the next request takes it. Whatever the late callee then sends
 * must not run inside that request's transaction: its RELEASE SAVEPOINT there used to abort
 * it, and node-pg turned the COMMIT into a silent ROLLBACK of a request answered with 200.
 */
describe.skipIf(!available)('a joined callee past its deadline on PostgreSQL', () => {
  const schema = testSchema();
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });

  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(`CREATE TABLE "${schema}".rows (id text PRIMARY KEY)`);
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('never sends a statement on the connection after it went back to the pool', async () => {
    const Row = z.object({ id: z.string() });
    const Reserve = defineCommand('stock.reserve', { input: Row, output: Row });
    const Place = defineCommand('orders.place', { input: Row, output: Row });
    const Record = defineCommand('audit.record', { input: Row, output: Row });
    const insert = (tx: unknown, id: string) =>
      (tx as pg.PoolClient).query(`INSERT INTO "${schema}".rows (id) VALUES ($1)`, [id]);
    let late: unknown = 'not yet';
    const stock = service('stock').command(Reserve, async ({ id }, ctx) => {
      await sleep(400);
      try {
        await insert(ctx.tx, `late-${id}`);
        late = 'sent';
      } catch (error) {
        late = error;
      }
      return { id };
    });
    const orders = service('orders').command(Place, async ({ id }, ctx) => {
      await insert(ctx.tx, `order-${id}`);
      return ctx.call(Reserve, { id }, { timeoutMs: 100 });
    });
    const audit = service('audit').command(Record, async ({ id }, ctx) => {
      await insert(ctx.tx, `audit-${id}`);
      // Holds the connection while the late callee wakes up.
      await sleep(600);
      return { id };
    });
    // One pooled connection: the audit command is sure to get the one orders.place used.
    const store = postgresStore({ connectionString: PG_URL, schema, max: 1, cleanupIntervalMs: 0 });
    const app = createApp({ services: [stock, orders, audit], store, relay: false, logger: silentLogger });
    await app.start();
    try {
      await expect(app.call(Place, { id: 'a' })).rejects.toBeInstanceOf(TimeoutError);
      await expect(app.call(Record, { id: 'b' })).resolves.toEqual({ id: 'b' });
      await eventually('the late callee tried its statement', () => late !== 'not yet');
      const { rows } = await admin.query<{ id: string }>(`SELECT id FROM "${schema}".rows ORDER BY id`);
      // The audit row committed; nothing of the failed order, early or late, did.
      expect(rows.map((r) => r.id)).toEqual(['audit-b']);
      expect((late as Error).name).toBe('TransactionClosedError');
    } finally {
      await app.stop();
    }
  });
});
