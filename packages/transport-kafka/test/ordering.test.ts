import { bodyOf, conformanceMessage, eventually, sleep, uniqueName } from '@tandem/core/testing';
import type { OutgoingMessage } from '@tandem/core';
import type { Consumer } from 'kafkajs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { IntakeBound } from '../src/intake-bound.js';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

describe.skipIf(!broker)('ordering per key under load', () => {
  it(
    'handles 3 keys x 1,000 events concurrently, each key in publish order, holding intake under back-pressure',
    { timeout: 90_000 },
    async () => {
      const topic = uniqueName('order.load');
      await broker!.createTopic(`${topic}:3`);
      // A small buffer bound, so the consumer has to hold intake back and go on again to keep up.
      const { transport, client } = mockTransport(broker!, { maxBufferedMessages: 100 });
      await transport.connect();
      const keys = ['alpha', 'beta', 'gamma'];
      const seen = new Map<string, number[]>(keys.map((k) => [k, []]));
      let running = 0;
      let maxRunning = 0;
      const subscription = await transport.subscribe(
        { topics: [topic], group: uniqueName('g-order-load'), concurrency: 8 },
        async (m) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await sleep(Math.random() < 0.05 ? 2 : 0);
          seen.get(m.key!)!.push(bodyOf<{ seq: number }>(m).seq);
          running--;
          return { kind: 'ack' };
        },
      );
      await subscription.ready;

      const holds = vi.spyOn(IntakeBound.prototype, 'hold');
      const consumers = client.created.filter((c): c is Consumer => 'paused' in c);
      let commits = 0;
      for (const c of consumers) c.on(c.events.COMMIT_OFFSETS, () => commits++);
      const sent: OutgoingMessage[] = [];
      for (let seq = 0; seq < 1_000; seq++)
        for (const key of keys) sent.push(conformanceMessage(topic, { seq }, { key }));
      await Promise.all(Array.from({ length: 6 }, (_, i) => transport.publish(sent.slice(i * 500, (i + 1) * 500))));
      let held: number;
      try {
        await eventually('3,000 handled', () => keys.every((k) => seen.get(k)!.length >= 1_000), 60_000);
      } finally {
        held = holds.mock.calls.length;
        holds.mockRestore(); // which forgets the calls
      }
      for (const key of keys) expect(seen.get(key)).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
      expect(maxRunning).toBeGreaterThan(1);
      expect(held).toBeGreaterThan(0);
      // Commits go out per interval, not per message, crash-loop marks included.
      console.log(`[kafka ordering test] 3,000 events, ${commits} commit requests, intake held ${held} times`);
      expect(commits).toBeLessThan(300);
      await transport.close();
    },
  );
});
