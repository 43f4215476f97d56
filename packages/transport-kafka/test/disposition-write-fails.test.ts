/**
 * The group's retry topic cannot be written (every Produce answered TOPIC_AUTHORIZATION_FAILED,
 * error 29, through the mock's fault injection). The writer must not hold a runner slot
 * forever: after a bound it gives the message back (uncommitted, handled again later), the
 * messages behind it keep flowing, and health says what is wrong until a write succeeds.
 */
import { bodyOf, conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

const PRODUCE = 0;
const TOPIC_AUTHORIZATION_FAILED = 29;

describe.skipIf(!broker)('a retry topic that cannot be written', () => {
  it(
    'gives the message back after a bound instead of holding its slot, and reports it',
    {
      timeout: 60_000,
    },
    async () => {
      const topic = uniqueName('unwritable.orders');
      const group = uniqueName('g-unwritable');
      await broker!.createTopic(`${topic}:1`);
      const { transport, client } = mockTransport(broker!, { retryLevelsMs: [200], dispositionTimeoutMs: 1_000 });
      await transport.connect();
      await transport.publish([
        conformanceMessage(topic, { n: 0 }, { key: 'bad' }),
        ...Array.from({ length: 5 }, (_, i) => conformanceMessage(topic, { n: i + 1 }, { key: `good-${i}` })),
      ]);
      await broker!.failNextRequests(
        PRODUCE,
        Array.from({ length: 12 }, () => TOPIC_AUTHORIZATION_FAILED),
      );

      const runs: Array<{ n: number; attempt: number }> = [];
      const subscription = await transport.subscribe({ topics: [topic], group, concurrency: 1 }, async (m) => {
        const { n } = bodyOf<{ n: number }>(m);
        runs.push({ n, attempt: m.attempt });
        if (n === 0 && m.attempt === 1) return { kind: 'retry', delayMs: 200, attempt: 2 };
        return { kind: 'ack' };
      });
      const admin = client.admin();
      await admin.connect();
      try {
        await subscription.ready;
        await eventually('the 5 behind it handled', () => runs.filter((r) => r.n > 0).length >= 5, 10_000);
        await eventually('health names the failing write', () => !transport.health().ok, 5_000);
        expect(transport.health().detail).toMatch(/could not write .*retry/);
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        expect(Number(committed!.partitions[0]!.offset)).toBeLessThanOrEqual(0); // nothing past it committed

        await eventually(
          'the message is handled again and its retry written',
          () => runs.some((r) => r.n === 0 && r.attempt === 2),
          30_000,
        );
        expect(runs.filter((r) => r.n === 0 && r.attempt === 1).length).toBeGreaterThan(1);
        await eventually('healthy again', () => transport.health().ok, 5_000);
        await eventually('everything committed', async () => {
          const [after] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
          return after!.partitions[0]!.offset === '6';
        });
      } finally {
        await admin.disconnect();
        await transport.close();
      }
    },
  );
});
