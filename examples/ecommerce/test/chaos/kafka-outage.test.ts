/**
 * The Kafka faults of the fault run: the mock cluster's broker goes down (connections
 * dropped, new ones refused) and comes back, and refuses chosen requests with an error code.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { serviceAvailable } from '@tandem/core/testing';
import { startMockKafka, type MockKafka } from '../../../../packages/transport-kafka/dev-broker/launch.mjs';

let broker: MockKafka | undefined;
const available = await serviceAvailable('kafka mock broker (librdkafka-dev)', async () => {
  broker = await startMockKafka({ topics: ['chaos.outage:1'] });
});
afterAll(() => broker?.stop());

describe.runIf(available)('chaos: Kafka broker outage on the mock cluster', () => {
  it('refuses producers while down and serves them again once up', async () => {
    const kafka = new Kafka({
      brokers: [broker!.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100 },
    });
    const producer = kafka.producer({ idempotent: false });
    await producer.connect();
    try {
      const send = (value: string) => producer.send({ topic: 'chaos.outage', messages: [{ value }] });
      await send('before');
      await broker!.brokerDown();
      await expect(send('during')).rejects.toThrow();
      await broker!.brokerUp();
      await expect(send('after')).resolves.toBeDefined();
      // The injected Produce error is retried by the client and the record still lands.
      await broker!.failNextRequests(0, [6]);
      await expect(send('refused once')).resolves.toBeDefined();
    } finally {
      await producer.disconnect();
    }
  }, 30_000);
});
