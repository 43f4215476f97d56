import { runStoreConformance } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { migrate, postgresStore, type Queryable } from '../src/index.js';
import { PG_URL, sqlHarness, testSchema, postgresAvailable } from './harness.js';

const available = await postgresAvailable();

describe.skipIf(!available)('store-postgres on PostgreSQL', () => {
  const schema = testSchema();
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const q: Queryable = {
    query: async (sql, params) => admin.query(sql, params).then((r) => ({ rows: r.rows, rowCount: r.rowCount ?? 0 })),
  };

  beforeAll(async () => {
    await migrate({ transaction: (fn) => fn(q) }, { schema });
    await admin.query(`CREATE TABLE "${schema}".effects (id text NOT NULL)`);
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  runStoreConformance<pg.PoolClient>(
    sqlHarness(
      'postgres',
      schema,
      () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
      () => q,
      (tx) => ({
        query: async (sql, params) => tx.query(sql, params).then((r) => ({ rows: r.rows, rowCount: r.rowCount ?? 0 })),
      }),
    ),
  );
});
