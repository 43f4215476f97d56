/**
 * The versioned-events suite on the in-process broker with PostgreSQL: a version-1 row
 * left in a PostgreSQL outbox by the old producer reaches the upgraded consumer upcast.
 */
import { MemoryBroker, MemoryTransport } from '@tandem/core';
import { runVersionConformance, serviceAvailable } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { postgresStore } from '../src/index.js';
import { PG_URL, testSchema } from './harness.js';

const available = await serviceAvailable('PostgreSQL at 127.0.0.1:5432', async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  await client.connect();
  await client.end();
});

describe.skipIf(!available)('versioned events on PostgreSQL', () => {
  const schema = testSchema();
  const broker = new MemoryBroker();
  afterAll(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  runVersionConformance({
    name: 'in-process broker, PostgreSQL',
    broker: () => new MemoryTransport({ broker }),
    store: () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
  });
});
