import { runSagaStoreConformance } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { postgresStore } from '../src/index.js';
import { PG_URL, testSchema, testTablePrefix, postgresAvailable } from './harness.js';

const available = await postgresAvailable();

describe.skipIf(!available)('saga store on PostgreSQL', () => {
  const schema = testSchema();
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  // Each test gets its own tables (a new prefix in the file's schema), so claimDue sees only its instances.
  runSagaStoreConformance<pg.PoolClient>({
    name: 'postgres',
    create: async () =>
      postgresStore({ connectionString: PG_URL, schema, tablePrefix: testTablePrefix(), cleanupIntervalMs: 0 }),
  });
});
