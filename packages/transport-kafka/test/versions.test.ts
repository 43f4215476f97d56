/**
 * The versioned-events suite on the Kafka mock cluster with PostgreSQL: the same tests as
 * on the in-process broker, with only the broker and store changed.
 */
import { randomBytes } from 'node:crypto';
import { runVersionConformance } from '@tandem/core/testing';
import { postgresStore } from '@tandem/store-postgres';
import { afterAll, describe } from 'vitest';
import { dropSchema, PG_URL, postgresAvailable } from './postgres.js';
import { mockTransport, startBroker } from './support.js';

const postgres = await postgresAvailable();
const broker = await startBroker();
const schema = `versions_kafka_${randomBytes(4).toString('hex')}`;
afterAll(async () => {
  await broker?.stop();
  if (!postgres) return;
  await dropSchema(schema);
});

describe.skipIf(!broker || !postgres)('versioned events on the kafka mock cluster', () => {
  runVersionConformance({
    name: 'kafka (librdkafka mock cluster), PostgreSQL',
    broker: () => mockTransport(broker!).transport,
    store: () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
    groupsReadFromStart: true,
    async prepareTopics(topics) {
      for (const topic of topics) await broker!.createTopic(`${topic}:3`);
    },
  });
});
