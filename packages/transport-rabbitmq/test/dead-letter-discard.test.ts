/**
 * Discarding chosen dead letters on RabbitMQ: exactly those leave the dead-letter queue for
 * good, the others stay listed (in their order) and replayable, and a discarded letter can
 * neither be discarded nor replayed again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Header } from '@tandem/core';
import { conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { sharedBrokerUse } from './support/broker-lock.js';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
const transports = transportFactory();

describe.skipIf(!available)('rabbitmq dead-letter discard', () => {
  sharedBrokerUse();
  afterAll(() => transports.cleanUp());

  it(
    'removes exactly the chosen dead letters; the others stay listed and replayable',
    { timeout: 60_000 },
    async () => {
      const topic = uniqueName('discard.orders');
      const group = uniqueName('discard-group');
      const transport = transports.create();
      await transport.connect();
      // Each message is dead-lettered on its first delivery and acked on any later one.
      const deliveries = new Map<string, number>();
      const subscription = await transport.subscribe({ topics: [topic], group, concurrency: 1 }, async (message) => {
        const seen = (deliveries.get(message.id) ?? 0) + 1;
        deliveries.set(message.id, seen);
        return seen === 1 ? { kind: 'dead-letter', reason: 'handler-failed', attempts: 1 } : { kind: 'ack' };
      });
      await subscription.ready;
      const messages = ['a', 'b', 'c', 'd'].map((name) => conformanceMessage(topic, { name }, { key: 'one-key' }));
      const [a, b, c, d] = messages.map((m) => m.headers[Header.id]!);
      await transport.publish(messages);
      const listed = async () => (await transport.deadLetters.list(group)).map((letter) => letter.id);
      await eventually('four dead letters', async () => (await listed()).length === 4, 10_000, 50);
      expect(await listed()).toEqual([a, b, c, d]);

      expect(await transport.deadLetters.discard!(group, [b!, d!])).toBe(2);
      expect(await listed()).toEqual([a, c]);
      expect(await transport.deadLetters.discard!(group, [b!])).toBe(0);
      expect(await transport.deadLetters.discard!(group, ['no-such-id'])).toBe(0);
      expect(await transport.deadLetters.discard!(uniqueName('never-subscribed'), [a!])).toBe(0);

      // Replaying the discarded one sends nothing; the kept ones come back to the group.
      expect(await transport.deadLetters.replay(group, [b!])).toBe(0);
      expect(await transport.deadLetters.replay(group, [a!, c!])).toBe(2);
      await eventually('a and c handled again', () => deliveries.get(a!) === 2 && deliveries.get(c!) === 2);
      expect(await listed()).toEqual([]);
      expect(deliveries.get(b!)).toBe(1);
      expect(deliveries.get(d!)).toBe(1);
      await subscription.close();
    },
  );
});
