import { MemoryStore } from '@tandem/core';
import { runSagaConformance } from '@tandem/core/testing';
import { afterAll, describe } from 'vitest';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());
const store = new MemoryStore();

describe.skipIf(!broker)('sagas on the kafka mock cluster', () => {
  runSagaConformance({
    name: 'kafka (librdkafka mock cluster), memory store',
    broker: () => mockTransport(broker!).transport,
    store: () => store,
    instances: 300,
    async prepareTopics(topics) {
      for (const topic of topics) await broker!.createTopic(`${topic}:3`);
    },
  });
});
