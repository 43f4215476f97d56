/**
 * The replay suite on RabbitMQ with PostgreSQL: past events from the outbox table go
 * straight to one group's queue.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, it } from 'vitest';
import { runReplayConformance } from '@tandem/core/testing';
import { postgresStore } from '@tandem/store-postgres';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';
import { sharedBrokerUse } from './support/broker-lock.js';
import { dropSchema, postgresAvailable, PG_URL } from './support/postgres.js';

const available = (await rabbitAvailable()) && (await postgresAvailable());
const transports = transportFactory();
const schema = `replay_rmq_${randomBytes(4).toString('hex')}`;

if (available) {
  sharedBrokerUse();
  runReplayConformance({
    name: 'RabbitMQ, PostgreSQL',
    broker: () => transports.create(),
    store: () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
  });
  afterAll(async () => {
    await transports.cleanUp();
    await dropSchema(schema);
  });
} else {
  describe('replay: rabbitmq', () => {
    it.skip('needs RabbitMQ at 127.0.0.1:5672 and PostgreSQL at 127.0.0.1:5432 (see the warning above)', () =>
      undefined);
  });
}
