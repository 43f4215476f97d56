/**
 * Back-pressure with the smallest buffer: `maxBufferedMessages: 1` holds intake as soon as
 * one message is unfinished; it must go on once that message is settled, or the
 * subscription stops after its first batch.
 */
import { conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

describe.skipIf(!broker)('maxBufferedMessages: 1', () => {
  it('goes on fetching once the buffered message is settled', { timeout: 30_000 }, async () => {
    const topic = uniqueName('buffer-one.orders');
    await broker!.createTopic(`${topic}:1`);
    const { transport } = mockTransport(broker!, { maxBufferedMessages: 1 });
    await transport.connect();
    const handled: number[] = [];
    const subscription = await transport.subscribe(
      { topics: [topic], group: uniqueName('g-buffer-one'), concurrency: 2 },
      async (m) => {
        handled.push(JSON.parse(new TextDecoder().decode(m.body)).n);
        return { kind: 'ack' };
      },
    );
    await subscription.ready;
    try {
      // One at a time, so each arrives in a batch of its own after the partition was paused.
      for (let n = 0; n < 5; n++) {
        await transport.publish([conformanceMessage(topic, { n }, { key: 'k' })]);
        await eventually(`message ${n} handled`, () => handled.length > n, 10_000);
      }
      expect(handled).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await transport.close();
    }
  });
});
