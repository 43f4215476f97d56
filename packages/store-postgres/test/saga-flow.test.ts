import { PGlite } from '@electric-sql/pglite';
import { MemoryBroker, MemoryTransport } from '@tandem/core';
import { runSagaConformance } from '@tandem/core/testing';
import { afterAll, describe } from 'vitest';
import { pgliteStore, postgresStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable, dropSchema } from './harness.js';

const available = await postgresAvailable();

describe.skipIf(!available)('sagas on PostgreSQL', () => {
  const schema = testSchema();
  const broker = new MemoryBroker();
  afterAll(async () => {
    await dropSchema(schema);
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
