/**
 * Discarding chosen dead letters on Kafka: a discard marker leaves exactly those out of
 * the listing for good, the others stay listed and replayable, and a discarded letter can
 * neither be discarded nor replayed again (also by a transport that reads the topic afresh).
 */
import { Header } from '@tandem/core';
import { conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

describe.skipIf(!broker)('kafka dead-letter discard', () => {
  it(
    'removes exactly the chosen dead letters; the others stay listed and replayable',
    { timeout: 90_000 },
    async () => {
      const topic = uniqueName('discard.orders');
      const group = uniqueName('g-discard');
      await broker!.createTopic(`${topic}:1`);
      const { transport } = mockTransport(broker!, { retryLevelsMs: [250] });
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
      const listed = async () => (await transport.deadLetters.list(group)).map((letter) => letter.id).sort();
      await eventually('four dead letters', async () => (await listed()).length === 4, 20_000, 100);
      expect(await listed()).toEqual([a, b, c, d].sort());

      expect(await transport.deadLetters.discard(group, [b!, d!])).toBe(2);
      expect(await listed()).toEqual([a, c].sort());
      expect(await transport.deadLetters.discard(group, [b!])).toBe(0);
      expect(await transport.deadLetters.discard(group, ['no-such-id'])).toBe(0);

      // A transport that reads the dead-letter topic from its start sees the same.
      const fresh = mockTransport(broker!).transport;
      await fresh.connect();
      expect((await fresh.deadLetters.list(group)).map((letter) => letter.id).sort()).toEqual([a, c].sort());
      expect(await fresh.deadLetters.replay(group, [d!])).toBe(0);
      await fresh.close();

      // Replaying the discarded one sends nothing; the kept ones come back to the group.
      expect(await transport.deadLetters.replay(group, [b!])).toBe(0);
      expect(await transport.deadLetters.replay(group, [a!, c!])).toBe(2);
      await eventually('a and c handled again', () => deliveries.get(a!) === 2 && deliveries.get(c!) === 2, 20_000);
      expect(await listed()).toEqual([]);
      expect(deliveries.get(b!)).toBe(1);
      expect(deliveries.get(d!)).toBe(1);
      await subscription.close();
      await transport.close();
    },
  );
});
