import { afterAll, describe, it } from 'vitest';
import { runTransportConformance } from '@tandem/core/testing';
import type { RabbitMQTransport } from '../src/index.js';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';
import { sharedBrokerUse } from './support/broker-lock.js';

const available = await rabbitAvailable();
const transports = transportFactory();

if (available) {
  sharedBrokerUse();
  runTransportConformance({
    name: 'rabbitmq',
    create: () => transports.create(),
    crash: (transport) => (transport as RabbitMQTransport).crash(),
  });
  afterAll(() => transports.cleanUp());
} else {
  describe('transport conformance: rabbitmq', () => {
    it.skip('needs RabbitMQ at 127.0.0.1:5672 (see the warning above)', () => undefined);
  });
}
