import { runTransportConformance } from '@tandem/core/testing';
import { afterAll, describe } from 'vitest';
import type { KafkaTransport } from '../src/index.js';
import { mockTransport, startBroker, type RecordingKafka } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

describe.skipIf(!broker)('kafka transport on the mock cluster', () => {
  const clients = new WeakMap<KafkaTransport, RecordingKafka>();
  runTransportConformance({
    name: 'kafka (librdkafka mock cluster, 3 partitions per topic)',
    create() {
      const { transport, client } = mockTransport(broker!);
      clients.set(transport, client);
      return transport;
    },
    async crash(transport) {
      await clients.get(transport as KafkaTransport)!.vanish();
    },
    async prepareTopics(topics) {
      for (const topic of topics) await broker!.createTopic(`${topic}:3`);
    },
  });
});
