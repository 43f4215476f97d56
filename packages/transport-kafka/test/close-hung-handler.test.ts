/**
 * close() with a handler that never returns (it ignores its abort signal): close must not
 * wait for it forever. It returns after `closeTimeoutMs`, commits only what was settled,
 * and the hung message is redelivered to the next member of the group.
 */
import { bodyOf, conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

describe.skipIf(!broker)('close() with a hung handler', () => {
  it(
    'returns after closeTimeoutMs and leaves the unsettled message to be redelivered',
    {
      timeout: 60_000,
    },
    async () => {
      const topic = uniqueName('hung.orders');
      const group = uniqueName('g-hung');
      await broker!.createTopic(`${topic}:1`);
      const first = mockTransport(broker!, { closeTimeoutMs: 1_000 });
      await first.transport.connect();
      const handledFirst: number[] = [];
      const sub = await first.transport.subscribe({ topics: [topic], group, concurrency: 4 }, async (m) => {
        const { n } = bodyOf<{ n: number }>(m);
        if (n === 3) await new Promise(() => undefined);
        handledFirst.push(n);
        return { kind: 'ack' };
      });
      await sub.ready;
      await first.transport.publish(
        Array.from({ length: 6 }, (_, n) => conformanceMessage(topic, { n }, { key: `k-${n}` })),
      );
      await eventually('all but the hung one handled', () => handledFirst.length === 5);

      const started = Date.now();
      await first.transport.close();
      const took = Date.now() - started;
      console.log(`[kafka hung-close test] close() returned after ${took} ms`);
      expect(took).toBeLessThan(5_000);

      const second = mockTransport(broker!);
      await second.transport.connect();
      const handledSecond: number[] = [];
      const sub2 = await second.transport.subscribe({ topics: [topic], group, concurrency: 4 }, async (m) => {
        handledSecond.push(bodyOf<{ n: number }>(m).n);
        return { kind: 'ack' };
      });
      try {
        await sub2.ready;
        await eventually('the hung message is redelivered', () => handledSecond.includes(3), 15_000);
        // What was settled before offset 3 was committed by the first member.
        expect(handledSecond).not.toContain(0);
        expect(handledSecond).not.toContain(2);
      } finally {
        await second.transport.close();
      }
    },
  );
});
