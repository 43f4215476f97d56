import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  createApp,
  defineCommand,
  defineEvent,
  MemoryBroker,
  MemoryTransport,
  silentLogger,
  type App,
} from '@tandem/core';
import { deferred, eventually } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresStore, type SqlStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable } from './harness.js';

const available = await postgresAvailable();

const Place = defineCommand('loss.place', {
  input: z.object({ id: z.string(), hold: z.enum(['none', 'idle', 'query']) }),
  output: z.object({ id: z.string() }),
});
const Placed = defineEvent('loss.placed', { data: z.object({ id: z.string() }) });

/**
 * `pg_terminate_backend` on the store's connections, as an operator, a failover or a
 * pooler would: the unit of work on that connection fails with a typed error, nothing
 * else does, and the process neither crashes nor stops relaying.
 */
describe.skipIf(!available)('store-postgres: a lost database connection fails one unit of work', () => {
  const schema = testSchema();
  // Only connections of this file's stores carry it, so only they are terminated.
  const applicationName = `tandem_loss_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const faults: unknown[] = [];
  const onFault = (error: unknown): void => void faults.push(error);
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    process.on('uncaughtException', onFault);
    process.on('unhandledRejection', onFault);
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  });
  afterAll(async () => {
    process.off('uncaughtException', onFault);
    process.off('unhandledRejection', onFault);
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  const terminate = async (where: string, params: unknown[] = []): Promise<number> => {
    const { rowCount } = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND ${where}`,
      [applicationName, ...params],
    );
    return rowCount ?? 0;
  };
  const committed = async (id: string): Promise<number> => {
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".orders WHERE id = $1`, [id]);
    return rows[0].n as number;
  };

  /** An app whose command writes a row and an event, and can hold its transaction open. */
  async function shop(): Promise<{
    app: App;
    store: SqlStore<pg.PoolClient>;
    delivered: string[];
    holding: (id: string) => Promise<{ pid: number; ended: Promise<void>; release: () => void }>;
  }> {
    const url = new URL(PG_URL);
    url.searchParams.set('application_name', applicationName);
    const store = postgresStore({ connectionString: url.href, schema, cleanupIntervalMs: 0 });
    await store.connect();
    cleanup.push(() => store.close());
    await admin.query(`CREATE TABLE IF NOT EXISTS "${schema}".orders (id text PRIMARY KEY)`);
    const broker = new MemoryBroker();
    const delivered: string[] = [];
    const observer = new MemoryTransport({ broker });
    await observer.subscribe({ topics: [Placed.topic], group: 'observer', concurrency: 1 }, async (m) => {
      delivered.push(m.key!);
      return { kind: 'ack' };
    });
    cleanup.unshift(() => observer.close());
    const app = createApp({
      name: 'loss',
      broker: new MemoryTransport({ broker }),
      store,
      logger: silentLogger,
      relay: { retryDelayMs: 20, pollIntervalMs: 100, balanceIntervalMs: 100 },
    });
    const held = new Map<string, (value: { pid: number; ended: Promise<void>; release: () => void }) => void>();
    app.command(Place, async ({ id, hold }, ctx) => {
      const tx = ctx.tx as pg.PoolClient;
      await tx.query(`INSERT INTO "${schema}".orders (id) VALUES ($1)`, [id]);
      await ctx.publish(Placed, { id }, { key: id });
      if (hold === 'none') return { id };
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // 'end' is public and observing it does not handle the 'error' that precedes it.
      const ended = new Promise<void>((resolve) => tx.once('end', () => resolve()));
      const gate = deferred();
      held.get(id)?.({ pid: rows[0]!.pid, ended, release: () => gate.resolve() });
      // Stands for a synchronous call to another service while the transaction stays open,
      // or for a slow statement.
      if (hold === 'idle') await gate.promise;
      else await tx.query('SELECT pg_sleep(30)');
      return { id };
    });
    await app.start();
    cleanup.unshift(() => app.stop());
    const holding = (id: string) =>
      new Promise<{ pid: number; ended: Promise<void>; release: () => void }>((resolve) => held.set(id, resolve));
    return { app, store, delivered, holding };
  }

  it(
    'idle in transaction: the unit of work rejects with TANDEM_UNAVAILABLE, the process survives, the next one commits',
    { timeout: 20_000 },
    async () => {
      const { app, delivered, holding } = await shop();
      const held = holding('lost-idle');
      const call = app.call(Place, { id: 'lost-idle', hold: 'idle' });
      call.catch(() => undefined);
      const { pid, ended, release } = await held;
      expect(await terminate('pid = $2', [pid])).toBe(1);
      // Without a listener the client's 'error' is thrown from its socket handler before 'end'.
      await Promise.race([ended, eventually('a fault', () => faults.length > 0)]);
      release();
      expect(faults).toEqual([]);
      await expect(call).rejects.toMatchObject({ code: 'TANDEM_UNAVAILABLE', details: { outcome: 'rolled-back' } });
      expect(faults).toEqual([]);

      await expect(app.call(Place, { id: 'after-idle', hold: 'none' })).resolves.toEqual({ id: 'after-idle' });
      await eventually('the next event is delivered', () => delivered.includes('after-idle'));
      expect(await committed('lost-idle')).toBe(0);
      expect(await committed('after-idle')).toBe(1);
      expect(delivered).not.toContain('lost-idle');
      expect(faults).toEqual([]);
    },
  );

  it(
    'mid-statement: the unit of work rejects with TANDEM_UNAVAILABLE, the process survives, the next one commits',
    { timeout: 20_000 },
    async () => {
      const { app, delivered, holding } = await shop();
      const held = holding('lost-query');
      const call = app.call(Place, { id: 'lost-query', hold: 'query' });
      call.catch(() => undefined);
      const { pid, ended } = await held;
      await eventually('pg_sleep is running', async () => {
        const { rows } = await admin.query(`SELECT state, query FROM pg_stat_activity WHERE pid = $1`, [pid]);
        return rows[0]?.state === 'active' && String(rows[0].query).includes('pg_sleep');
      });
      expect(await terminate('pid = $2', [pid])).toBe(1);
      await expect(call).rejects.toMatchObject({ code: 'TANDEM_UNAVAILABLE' });
      await Promise.race([ended, eventually('a fault', () => faults.length > 0)]);
      expect(faults).toEqual([]);
      await expect(app.call(Place, { id: 'after-query', hold: 'none' })).resolves.toEqual({ id: 'after-query' });
      await eventually('the next event is delivered', () => delivered.includes('after-query'));
      expect(await committed('lost-query')).toBe(0);
      expect(faults).toEqual([]);
    },
  );

  it(
    'the relay session and every idle pooled connection terminated: fresh connections at once, the outbox keeps flowing',
    { timeout: 20_000 },
    async () => {
      const { app, store, delivered } = await shop();
      await app.call(Place, { id: 'before-kill', hold: 'none' });
      await eventually('the first event is delivered', () => delivered.includes('before-kill'));
      // The relay's session holds the key-range locks; the rest are idle in the pool.
      expect(await terminate('pid <> pg_backend_pid()')).toBeGreaterThanOrEqual(2);
      // At once, before the pool has seen its connections die: BEGIN may find one dead.
      const ids = Array.from({ length: 5 }, (_, i) => `after-kill-${i}`);
      await Promise.all(ids.map((id) => app.call(Place, { id, hold: 'none' })));
      await eventually('every later event is delivered', () => ids.every((id) => delivered.includes(id)));
      await eventually('the app reports healthy again', async () => (await app.health()).ready);
      for (const id of ids) expect(await committed(id)).toBe(1);
      // A single statement outside a transaction (idempotency records use these) is typed too.
      const slow = store.driver.query('SELECT pg_sleep(30)');
      slow.catch(() => undefined);
      await eventually(
        'the statement is running',
        async () => (await terminate("query LIKE 'SELECT pg_sleep%'")) === 1,
      );
      await expect(slow).rejects.toMatchObject({ code: 'TANDEM_UNAVAILABLE', details: { outcome: 'unknown' } });
      expect(faults).toEqual([]);
    },
  );

  it('a pooled connection that died while idle is replaced at BEGIN, before the pool noticed', async () => {
    const url = new URL(PG_URL);
    url.searchParams.set('application_name', applicationName);
    const store = postgresStore({ connectionString: url.href, schema, cleanupIntervalMs: 0, max: 1 });
    await store.connect();
    cleanup.push(() => store.close());
    const pid = await store.transaction(async (tx) => (await tx.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    // Terminated from another process while this one's event loop is blocked, so the pool
    // still holds the dead client as idle when the next transaction takes it.
    const script = `import pg from 'pg';
      const c = new pg.Client(${JSON.stringify(PG_URL)});
      await c.connect();
      await c.query('SELECT pg_terminate_backend($1, 5000)', [${Number(pid)}]);
      await c.end();`;
    const killer = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(killer.status, killer.stderr).toBe(0);
    const next = await store.transaction(async (tx) => (await tx.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    expect(next).not.toBe(pid);
    expect(faults).toEqual([]);
  });

  it('single statements through the pool, their connections terminated again and again: the process survives', async () => {
    // What the idempotency records and health checks do: a statement on a client the pool
    // lends for it alone. A backend killed just as its statement finishes errs twice (the
    // FATAL message, then the closed socket), after pool.query stopped listening.
    const url = new URL(PG_URL);
    url.searchParams.set('application_name', applicationName);
    const store = postgresStore({ connectionString: url.href, schema, cleanupIntervalMs: 0, max: 4 });
    await store.connect();
    cleanup.push(() => store.close());
    let stop = false;
    const killer = (async () => {
      while (!stop) {
        await terminate('pid <> pg_backend_pid()').catch(() => 0);
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();
    const outcomes = { ok: 0, unavailable: 0, other: [] as unknown[] };
    for (let round = 0; round < 40; round++) {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.driver.query(i % 2 === 0 ? 'SELECT 1' : 'SELECT pg_sleep(0.002)').then(
            () => void outcomes.ok++,
            (error: unknown) => {
              if ((error as { code?: string }).code === 'TANDEM_UNAVAILABLE') outcomes.unavailable++;
              else outcomes.other.push(error);
            },
          ),
        ),
      );
    }
    stop = true;
    await killer;
    // Errors that arrive after the last statement settle them too.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(faults).toEqual([]);
    expect(outcomes.other).toEqual([]);
    expect(outcomes.unavailable).toBeGreaterThan(0);
    await expect(store.driver.query('SELECT 1')).resolves.toMatchObject({ rowCount: 1 });
  });

  it('a database that cannot be reached fails connect() and transactions with TANDEM_UNAVAILABLE', async () => {
    const store = postgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', cleanupIntervalMs: 0 });
    cleanup.push(() => store.close());
    await expect(store.connect()).rejects.toMatchObject({
      code: 'TANDEM_UNAVAILABLE',
      message: expect.stringContaining('cannot reach the database'),
    });
    await expect(store.transaction(async () => 1)).rejects.toMatchObject({ code: 'TANDEM_UNAVAILABLE' });
    expect(faults).toEqual([]);
  });
});
