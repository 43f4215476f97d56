import { afterAll, describe, it } from 'vitest';
import { MemoryStore } from '@tandem/core';
import { runSagaConformance } from '@tandem/core/testing';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';
import { sharedBrokerUse } from './support/broker-lock.js';

const available = await rabbitAvailable();
const transports = transportFactory();
const store = new MemoryStore();

if (available) {
  sharedBrokerUse();
  runSagaConformance({
    name: 'RabbitMQ, memory store',
    broker: () => transports.create(),
    store: () => store,
    instances: 300,
  });
  afterAll(() => transports.cleanUp());
} else {
  describe('sagas: rabbitmq', () => {
    it.skip('needs RabbitMQ at 127.0.0.1:5672 (see the warning above)', () => undefined);
  });
}
