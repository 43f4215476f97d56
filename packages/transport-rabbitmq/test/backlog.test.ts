/**
 * A group's backlog on RabbitMQ: the messages ready in its queue plus the retries waiting
 * in its delay queues, never the ones a consumer holds. Counted while the group's consumer
 * is stopped, and again once it has consumed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type MessageHandler } from '@tandem/core';
import { bodyOf, conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { sharedBrokerUse } from './support/broker-lock.js';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
// A long level, so a retry sent there is still waiting when the test counts it.
const transports = transportFactory({ delayLevelsMs: [200, 60_000] });

describe.skipIf(!available)('rabbitmq backlog', () => {
  sharedBrokerUse();
  afterAll(() => transports.cleanUp());

  it(
    'is 0 when caught up, counts what waits while the consumer is stopped, and drops back once it consumes',
    { timeout: 60_000 },
    async () => {
      const topic = uniqueName('backlog.orders');
      const group = uniqueName('backlog-group');
      const transport = transports.create();
      await transport.connect();
      const handled: number[] = [];
      // Message 0 goes to the 60 s delay queue: waiting for the group, not in flight.
      const handle: MessageHandler = async (message) => {
        const { n } = bodyOf<{ n: number }>(message);
        handled.push(n);
        return n === 0 ? { kind: 'retry', delayMs: 60_000, attempt: 2 } : { kind: 'ack' };
      };
      const spec = { topics: [topic], group, concurrency: 4 };
      let subscription = await transport.subscribe(spec, handle);
      await subscription.ready;
      expect(await transport.backlog(group)).toBe(0);

      await subscription.close();
      const messages = Array.from({ length: 7 }, (_, n) => conformanceMessage(topic, { n }, { key: `k${n}` }));
      await transport.publish(messages);
      await eventually('7 messages waiting', async () => (await transport.backlog(group)) === 7, 10_000, 50);
      expect(handled).toEqual([]);

      subscription = await transport.subscribe(spec, handle);
      await eventually('all 7 handled', () => handled.length === 7, 20_000);
      // The retry of message 0 waits in the delay queue; the six others are gone.
      await eventually('only the delayed retry waits', async () => (await transport.backlog(group)) === 1, 10_000, 50);
      await subscription.close();
    },
  );

  it('rejects with a ConfigError naming a group that never subscribed', async () => {
    const transport = transports.create();
    await transport.connect();
    const error = await transport.backlog('no-such-group').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("consumer group 'no-such-group'");
    // The failed passive declare closed only a channel of its own: the transport still works.
    expect(transport.health().ok).toBe(true);
  });
});
