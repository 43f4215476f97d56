import { PGlite } from '@electric-sql/pglite';
import { runStoreConformance } from '@tandem/core/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { pgliteStore, type Queryable, type Transaction } from '../src/index.js';
import { sqlHarness, testSchema } from './harness.js';

const wrap = (db: PGlite | Transaction): Queryable => ({
  query: async (sql, params) =>
    db.query(sql, params).then((r) => ({ rows: r.rows as never[], rowCount: r.affectedRows ?? 0 })),
});

describe('store-postgres on PGlite (embedded)', () => {
  const schema = testSchema();
  const db = new PGlite();

  beforeAll(async () => {
    // The first store migrates; the side-effect table goes beside its tables.
    const store = pgliteStore({ db, schema, cleanupIntervalMs: 0 });
    await store.connect();
    await db.query(`CREATE TABLE "${schema}".effects (id text NOT NULL)`);
    await store.close();
  });
  afterAll(async () => {
    await db.close();
  });

  runStoreConformance<Transaction>(
    sqlHarness(
      'pglite',
      schema,
      () => pgliteStore({ db, schema, cleanupIntervalMs: 0 }),
      () => wrap(db),
      (tx) => wrap(tx),
    ),
  );
});
