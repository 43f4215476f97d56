/**
 * The versioned-events suite on the Kafka mock cluster with PostgreSQL: the same tests as
 * on the in-process broker, with only the broker and store changed.
 */
import { randomBytes } from 'node:crypto';
import { runVersionConformance, serviceAvailable } from '@tandem/core/testing';
import { postgresStore } from '@tandem/store-postgres';
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { mockTransport, startBroker } from './support.js';

const PG_URL = process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const postgres = await serviceAvailable('PostgreSQL at 127.0.0.1:5432', async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  await client.connect();
  await client.end();
});
const broker = await startBroker();
const schema = `versions_kafka_${randomBytes(4).toString('hex')}`;
afterAll(async () => {
  await broker?.stop();
  if (!postgres) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
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
