/**
 * The stores the interleaving suite runs on, each with a side effect the handlers write in
 * their transaction and the suite counts from outside.
 */
import { randomBytes } from 'node:crypto';
import { memoryStore, type MemoryTx, type Store } from '@tandem/core';
import { probeTcp, serviceAvailable } from '@tandem/core/testing';
import { migrate, postgresStore, type Queryable } from '@tandem/store-postgres';
import { redisStore, type RedisTx } from '@tandem/store-redis';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface StoreUnderTest {
  name: string;
  /** A store over the shared data: each call is like another process on the same database. */
  create(): Store;
  /** Writes `id` in the handler's transaction; counted only if that transaction commits. */
  write(tx: unknown, id: string): Promise<void>;
  count(id: string): Promise<number>;
  /** Whether side effects commit with the transaction (false for Redis, which applies them after). */
  transactional: boolean;
  close(): Promise<void>;
}

const PG_URL = process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TANDEM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function memoryUnderTest(options: { outbox: boolean }): StoreUnderTest {
  const effects = new Map<string, number>();
  const store = memoryStore({ outbox: options.outbox });
  return {
    name: options.outbox ? 'memory' : 'memory without outbox',
    create: () => store,
    async write(tx, id) {
      (tx as MemoryTx).onSettle((committed) => {
        if (committed) effects.set(id, (effects.get(id) ?? 0) + 1);
      });
    },
    async count(id) {
      return effects.get(id) ?? 0;
    },
    transactional: true,
    async close() {},
  };
}

export async function postgresUnderTest(): Promise<StoreUnderTest | undefined> {
  const up = await serviceAvailable('PostgreSQL at 127.0.0.1:5432', () => probeTcp('127.0.0.1', 5432));
  if (!up) return undefined;
  const schema = `i_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const q: Queryable = {
    query: async (sql, params) => admin.query(sql, params).then((r) => ({ rows: r.rows, rowCount: r.rowCount ?? 0 })),
  };
  await migrate({ transaction: (fn) => fn(q) }, { schema });
  await admin.query(`CREATE TABLE "${schema}".effects (id text NOT NULL)`);
  return {
    name: 'postgres',
    // A small pool, so a connection goes back and forth between requests as under load.
    create: () => postgresStore({ connectionString: PG_URL, schema, max: 3, cleanupIntervalMs: 0 }),
    async write(tx, id) {
      await (tx as pg.PoolClient).query(`INSERT INTO "${schema}".effects (id) VALUES ($1)`, [id]);
    },
    async count(id) {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema}".effects WHERE id = $1`,
        [id],
      );
      return rows[0]!.n;
    },
    transactional: true,
    async close() {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

export async function redisUnderTest(): Promise<StoreUnderTest | undefined> {
  const up = await serviceAvailable('Redis at 127.0.0.1:6379', () => probeTcp('127.0.0.1', 6379));
  if (!up) return undefined;
  const keyPrefix = `tandem-interleaving:${randomBytes(5).toString('hex')}:`;
  const admin = new Redis(REDIS_URL);
  return {
    name: 'redis',
    create: () => redisStore({ url: REDIS_URL, keyPrefix }),
    async write(tx, id) {
      (tx as RedisTx).onSettle(async (committed) => {
        if (committed) await admin.incr(`${keyPrefix}effects:${id}`);
      });
    },
    async count(id) {
      return Number((await admin.get(`${keyPrefix}effects:${id}`)) ?? 0);
    },
    transactional: false,
    async close() {
      const keys = await admin.keys(`${keyPrefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    },
  };
}
