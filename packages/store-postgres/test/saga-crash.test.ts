import { runSagaCrashConformance } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { postgresStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable } from './harness.js';

const available = await postgresAvailable();

describe.skipIf(!available)('saga crash injection on PostgreSQL', () => {
  const schema = testSchema();
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await admin.query(`CREATE TABLE "${schema}".runs (run text NOT NULL)`);
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  runSagaCrashConformance({
    name: 'PostgreSQL',
    store: () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
    recordRun: async (tx, run) => {
      await (tx as pg.PoolClient).query(`INSERT INTO "${schema}".runs (run) VALUES ($1)`, [run]);
    },
    committedRuns: async (prefix) =>
      (
        await admin.query<{ run: string }>(`SELECT run FROM "${schema}".runs WHERE run LIKE $1`, [`${prefix}%`])
      ).rows.map((r) => r.run),
  });
});
