/**
 * The saga suite on RabbitMQ with PostgreSQL: the same tests as on the in-process broker,
 * with only the broker changed.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, it } from 'vitest';
import { runSagaConformance } from '@tandem/core/testing';
import { postgresStore } from '@tandem/store-postgres';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';
import { sharedBrokerUse } from './support/broker-lock.js';
import { dropSchema, postgresAvailable, PG_URL } from './support/postgres.js';

const available = (await rabbitAvailable()) && (await postgresAvailable());
const transports = transportFactory();
const schema = `saga_rmq_${randomBytes(4).toString('hex')}`;

if (available) {
  sharedBrokerUse();
  runSagaConformance({
    name: 'RabbitMQ, PostgreSQL',
    broker: () => transports.create(),
    store: () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
    instances: 300,
  });
  afterAll(async () => {
    await transports.cleanUp();
    await dropSchema(schema);
  });
} else {
  describe('sagas: rabbitmq', () => {
    it.skip('needs RabbitMQ at 127.0.0.1:5672 and PostgreSQL at 127.0.0.1:5432 (see the warning above)', () =>
      undefined);
  });
}
