import { PGlite } from '@electric-sql/pglite';
import { runSagaStoreConformance } from '@tandem/core/testing';
import { afterAll, describe } from 'vitest';
import { pgliteStore, type Transaction } from '../src/index.js';
import { testSchema, testTablePrefix } from './harness.js';

describe('saga store on PGlite (embedded)', () => {
  const schema = testSchema();
  const db = new PGlite();
  afterAll(async () => {
    await db.close();
  });

  // Each test gets its own tables (a new prefix), so claimDue sees only its instances.
  runSagaStoreConformance<Transaction>({
    name: 'pglite',
    create: async () => pgliteStore({ db, schema, tablePrefix: testTablePrefix(), cleanupIntervalMs: 0 }),
    // One connection: a second transaction begins only when the first has ended.
    concurrentTransactions: false,
  });
});
