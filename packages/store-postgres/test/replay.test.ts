/**
 * The replay suite on PostgreSQL (the history is the outbox table's published rows) with
 * the in-process broker, and the same on PGlite.
 */
import { MemoryBroker, MemoryTransport } from '@tandem/core';
import { runReplayConformance } from '@tandem/core/testing';
import { afterAll, describe } from 'vitest';
import { postgresStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable, dropSchema } from './harness.js';

const available = await postgresAvailable();

describe.skipIf(!available)('replay from the PostgreSQL outbox', () => {
  const schema = testSchema();
  const broker = new MemoryBroker();
  afterAll(async () => {
    await dropSchema(schema);
  });
  runReplayConformance({
    name: 'in-process broker, PostgreSQL',
    broker: () => new MemoryTransport({ broker }),
    store: () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
  });
});
