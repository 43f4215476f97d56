import { PGlite } from '@electric-sql/pglite';
import { MemoryBroker, MemoryTransport } from '@tandem/core';
import { runSagaConformance, serviceAvailable } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { pgliteStore, postgresStore } from '../src/index.js';
import { PG_URL, testSchema } from './harness.js';

const available = await serviceAvailable('PostgreSQL at 127.0.0.1:5432', async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  await client.connect();
  await client.end();
});

describe.skipIf(!available)('sagas on PostgreSQL', () => {
  const schema = testSchema();
  const broker = new MemoryBroker();
  afterAll(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  runSagaConformance({
    name: 'in-process broker, PostgreSQL',
    broker: () => new MemoryTransport({ broker }),
    store: () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
  });
});

describe('sagas on PGlite', () => {
  const db = new PGlite();
  const broker = new MemoryBroker();
  afterAll(() => db.close());
  runSagaConformance({
    name: 'in-process broker, PGlite',
    broker: () => new MemoryTransport({ broker }),
    store: () => pgliteStore({ db, schema: 'sagas', cleanupIntervalMs: 0 }),
    // One connection serves every transaction: a thousand instances take minutes, not seconds.
    instances: 200,
    oneTransactionAtATime: true,
  });
});
