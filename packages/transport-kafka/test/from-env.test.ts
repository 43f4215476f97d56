import { fromEnv } from '@tandem/core';
import { conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker } from './support.js';

const broker = await startBroker([], 2); // two brokers, so the URL lists several hosts
afterAll(() => broker?.stop());

describe.skipIf(!broker)('kafka:// through fromEnv()', () => {
  it(
    'builds a working Kafka transport from TANDEM_BROKER_URL listing several brokers',
    { timeout: 30_000 },
    async () => {
      const url = `kafka://${broker!.bootstrap}?createTopics=false&idempotent=false`;
      expect(url).toMatch(/^kafka:\/\/[^,/?]+,[^,/?]+\?/);
      const { broker: transport } = await fromEnv({ TANDEM_BROKER_URL: url });
      expect(transport.name).toBe('kafka');
      await transport.connect();
      try {
        const topic = uniqueName('env.orders');
        await broker!.createTopic(`${topic}:3`);
        const got: string[] = [];
        const subscription = await transport.subscribe(
          { topics: [topic], group: uniqueName('g-env'), concurrency: 2 },
          async (m) => (got.push(m.id), { kind: 'ack' }),
        );
        await subscription.ready;
        const message = conformanceMessage(topic, { n: 1 }, { key: 'k' });
        await transport.publish([message]);
        await eventually('the message arrives', () => got.length === 1);
        expect(got).toEqual([message.headers['ce-id']]);
      } finally {
        await transport.close();
      }
    },
  );
});
