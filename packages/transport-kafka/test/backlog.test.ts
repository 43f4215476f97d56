/**
 * A group's backlog on Kafka: end offset minus the group's committed offset over its event
 * and retry topics. Counted while the group's consumer is stopped, and again once it has
 * consumed, when only a retry still waiting in its retry topic is left.
 */
import { ConfigError, type MessageHandler } from '@tandem/core';
import { bodyOf, conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

describe.skipIf(!broker)('kafka backlog', () => {
  it(
    'is 0 when caught up, counts what waits while the consumer is stopped, and drops back once it consumes',
    { timeout: 90_000 },
    async () => {
      const topic = uniqueName('backlog.orders');
      const group = uniqueName('g-backlog');
      await broker!.createTopic(`${topic}:2`);
      // A long level, so a retry sent there is still waiting when the test counts it.
      const { transport } = mockTransport(broker!, { retryLevelsMs: [250, 60_000] });
      await transport.connect();
      const handled: number[] = [];
      // Message 0 goes to the 60 s retry topic: waiting for the group, not yet due.
      const handle: MessageHandler = async (message) => {
        const { n } = bodyOf<{ n: number }>(message);
        handled.push(n);
        return n === 0 && message.attempt === 1 ? { kind: 'retry', delayMs: 60_000, attempt: 2 } : { kind: 'ack' };
      };
      const spec = { topics: [topic], group, concurrency: 4 };
      let subscription = await transport.subscribe(spec, handle);
      await subscription.ready;
      expect(await transport.backlog(group)).toBe(0);

      await subscription.close();
      const messages = Array.from({ length: 7 }, (_, n) => conformanceMessage(topic, { n }, { key: `k${n}` }));
      await transport.publish(messages);
      await eventually('7 records waiting', async () => (await transport.backlog(group)) === 7, 10_000, 50);
      expect(handled).toEqual([]);

      subscription = await transport.subscribe(spec, handle);
      await eventually('all 7 handled', () => handled.length === 7, 30_000);
      // The retry of message 0 waits in the 60 s retry topic; the six others are committed.
      await eventually('only the waiting retry', async () => (await transport.backlog(group)) === 1, 15_000, 50);
      expect(handled.filter((n) => n === 0)).toHaveLength(1);
      await subscription.close();

      // A process that never consumed as the group finds its event topics by the group's commits.
      const observer = mockTransport(broker!, { retryLevelsMs: [250, 60_000] }).transport;
      await observer.connect();
      expect(await observer.backlog(group)).toBe(1);
      await transport.publish([7, 8, 9].map((n) => conformanceMessage(topic, { n }, { key: `k${n}` })));
      await eventually('3 more waiting', async () => (await observer.backlog(group)) === 4, 10_000, 50);
      expect(await transport.backlog(group)).toBe(4);
      await observer.close();
      await transport.close();
    },
  );

  it('rejects with a ConfigError naming a group that never ran', async () => {
    const { transport } = mockTransport(broker!);
    await transport.connect();
    const error = await transport.backlog('no-such-group').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("no consumer group 'no-such-group'");
    await transport.close();
  });
});
