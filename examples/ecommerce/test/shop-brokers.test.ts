/**
 * The same shop, the same test, three brokers: only TANDEM_BROKER_URL changes between them.
 * RabbitMQ runs on 127.0.0.1:5672; Kafka is librdkafka's mock cluster from
 * packages/transport-kafka/dev-broker, with the shop's topics created up front (it has no
 * CreateTopics API).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tandem/core';
import { probeTcp, serviceAvailable } from '@tandem/core/testing';
import { startMockKafka, type MockKafka } from '../../../packages/transport-kafka/dev-broker/launch.mjs';
import { sharedBrokerUse } from '../../../packages/transport-rabbitmq/test/support/broker-lock.js';
import { buildShop } from '../src/shop.js';
import { anOrder, baseOf, placeOrder, untilShippedAndNotified } from './support.js';

const run = randomBytes(3).toString('hex');
// RabbitMQ's restart test stops the broker; it waits for this file, and this file for it.
sharedBrokerUse();
const shopTopics = ['orders.placed', 'orders.cancelled', 'payments.failed', 'shipping.scheduled'];

let kafka: MockKafka | undefined;
afterAll(() => kafka?.stop());

const brokers: Array<{ name: string; url: () => Promise<string | undefined> }> = [
  { name: 'the in-process broker', url: async () => `memory://shop-${run}` },
  {
    name: 'RabbitMQ',
    url: async () =>
      (await serviceAvailable('RabbitMQ on 127.0.0.1:5672', () => probeTcp('127.0.0.1', 5672)))
        ? `amqp://guest:guest@127.0.0.1:5672?prefix=shop-${run}`
        : undefined,
  },
  {
    name: 'Kafka (librdkafka mock cluster)',
    url: async () => {
      const ok = await serviceAvailable('kafka mock broker (librdkafka-dev)', async () => {
        kafka = await startMockKafka({ topics: shopTopics.map((t) => `${t}:3`) });
      });
      return ok
        ? `kafka://${kafka!.bootstrap.split(',')[0]}?createTopics=false&idempotent=false&sessionTimeoutMs=6000`
        : undefined;
    },
  },
];

describe.each(brokers)('shop on $name', ({ url }) => {
  it('answers the order at once, then ships it and records the notifications', async (test) => {
    const broker = await url();
    if (!broker) return test.skip();
    const shop = await buildShop(
      {
        TANDEM_BROKER_URL: broker,
        TANDEM_STORE_URL: 'pglite://memory',
        TANDEM_HTTP_PORT: '0',
        TANDEM_HTTP_HOST: '127.0.0.1',
      },
      { logger: silentLogger },
    );
    await shop.app.start();
    try {
      const placed = await placeOrder(baseOf(shop), anOrder());
      expect(placed.status).toBe(200);
      expect(placed.body.status).toBe('accepted');
      await untilShippedAndNotified(baseOf(shop), placed.body.orderId, 15_000);
    } finally {
      await shop.app.stop();
    }
  }, 60_000);
});
