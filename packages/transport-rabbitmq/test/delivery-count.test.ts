/**
 * What `deliveryCount` counts on RabbitMQ: runs of a message that started and never ended,
 * not deliveries. A consumer that dies holds its whole prefetch window; RabbitMQ hands all
 * of it out again (and a quorum queue raises `x-delivery-count` for each), though only the
 * messages whose handlers ran could have taken it down.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { bodyOf, conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import type { IncomingMessage } from '@tandem/core';
import { sharedBrokerUse } from './support/broker-lock.js';
import { RABBITMQ_URL, rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();

describe.skipIf(!available)('rabbitmq deliveryCount', () => {
  sharedBrokerUse();

  it('RabbitMQ 3.10 raises x-delivery-count for prefetched messages no handler ever saw', async () => {
    const queue = `tandem-test.x-delivery-count.${randomBytes(4).toString('hex')}`;
    const connection = await connect(RABBITMQ_URL);
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      for (const n of [1, 2, 3]) channel.sendToQueue(queue, Buffer.from(String(n)), { persistent: true });
      await channel.waitForConfirms();
      const held = await connection.createChannel();
      await held.prefetch(3);
      let received = 0;
      await held.consume(queue, () => received++);
      await eventually('the window delivered', () => received === 3);
      await held.close();
      const counts: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const message = await channel.get(queue, { noAck: true });
        if (message) counts.push(message.properties.headers?.['x-delivery-count']);
      }
      expect(counts).toEqual([1, 1, 1]);
    } finally {
      await connection.close();
      const cleanup = await connect(RABBITMQ_URL);
      await (await cleanup.createChannel()).deleteQueue(queue);
      await cleanup.close();
    }
  });

  describe.each(['classic', 'quorum'] as const)('on %s queues', (queueType) => {
    const transports = transportFactory({ queueType });
    afterAll(() => transports.cleanUp());

    it('counts the runs that never ended, not the messages that were only held', { timeout: 30_000 }, async () => {
      const topic = uniqueName('count.topic');
      const group = uniqueName('count');
      type Seen = { n: number; deliveryCount: number | undefined };
      const ids = new Set<string>();
      const subscribe = async (concurrency: number, seen: Seen[], hangOnPoison: boolean) => {
        const transport = transports.create();
        await transport.connect();
        const subscription = await transport.subscribe(
          { topics: [topic], group, concurrency },
          async (m: IncomingMessage) => {
            const { n } = bodyOf<{ n: number }>(m);
            seen.push({ n, deliveryCount: m.deliveryCount });
            ids.add(m.id);
            if (n === 0 && hangOnPoison) await new Promise(() => undefined);
            return { kind: 'ack' };
          },
        );
        await subscription.ready;
        return transport;
      };

      // First process: the poison message (0) starts and never ends; 1 and 2 wait behind it (concurrency 1).
      const first: Seen[] = [];
      const a = await subscribe(1, first, true);
      await a.publish([0, 1, 2].map((n) => conformanceMessage(topic, { n }, { key: `k${n}` })));
      await eventually('the poison message running', () => first.length === 1);
      await a.crash();
      // Second process: the same again; its run of 0 is tracked, as 0 was redelivered.
      const second: Seen[] = [];
      const b = await subscribe(1, second, true);
      await eventually('the poison message running again', () => second.length === 1);
      await b.crash();
      // Third process: 0 ran twice and never ended, but only the tracked run counts; 1 and 2 never ran.
      const third: Seen[] = [];
      await subscribe(4, third, false);
      await eventually('all three handled', () => third.length === 3);

      expect(first).toEqual([{ n: 0, deliveryCount: 1 }]);
      expect(second).toEqual([{ n: 0, deliveryCount: 1 }]);
      // Fewest unended runs first: the messages that never ran go before the one that keeps hanging.
      expect(third).toEqual([
        { n: 1, deliveryCount: 1 },
        { n: 2, deliveryCount: 1 },
        { n: 0, deliveryCount: 2 },
      ]);
      for (const id of ids) {
        const ledger = `${transports.prefix}.runs.${group}.${id}`;
        await eventually(`run ledger ${ledger} deleted`, async () => !(await queueExists(ledger)));
      }
    });
  });
});

async function queueExists(queue: string): Promise<boolean> {
  const connection = await connect(RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.checkQueue(queue);
    return true;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
