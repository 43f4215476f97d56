/**
 * The versioned-events suite on the in-process broker with PostgreSQL: a version-1 row
 * left in a PostgreSQL outbox by the old producer reaches the upgraded consumer upcast.
 */
import { MemoryBroker, MemoryTransport } from '@tandem/core';
import { runVersionConformance } from '@tandem/core/testing';
import { afterAll, describe } from 'vitest';
import { postgresStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable, dropSchema } from './harness.js';

const available = await postgresAvailable();

describe.skipIf(!available)('versioned events on PostgreSQL', () => {
  const schema = testSchema();
  const broker = new MemoryBroker();
  afterAll(async () => {
    await dropSchema(schema);
  });
  runVersionConformance({
    name: 'in-process broker, PostgreSQL',
    broker: () => new MemoryTransport({ broker }),
    store: () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
  });
});
