/**
 * The broker refuses an offset commit with REBALANCE_IN_PROGRESS (error 27) while no
 * rebalance follows: the mock cluster's fault injection answers one OffsetCommit (ApiKey 8)
 * that way. The consumer stops taking work of the ended generation, so it must also get a
 * new one by itself, and say it is not consuming meanwhile.
 */
import { createLogger } from '@tandem/core';
import { conformanceMessage, eventually, sleep, uniqueName } from '@tandem/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

const OFFSET_COMMIT = 8;
const REBALANCE_IN_PROGRESS = 27;

describe.skipIf(!broker)('offset commit refused with REBALANCE_IN_PROGRESS', () => {
  it(
    'rejoins by itself, handles every message, and is not ready while it cannot consume',
    {
      timeout: 60_000,
    },
    async () => {
      const topic = uniqueName('refused.orders');
      await broker!.createTopic(`${topic}:3`);
      const warnings: string[] = [];
      const logger = createLogger({ level: 'warn', write: (line) => warnings.push(JSON.parse(line).msg) });
      const { transport } = mockTransport(broker!, { logger });
      await transport.connect();
      const handled = new Set<string>();
      const subscription = await transport.subscribe(
        { topics: [topic], group: uniqueName('g-refused'), concurrency: 4 },
        async (m) => {
          await sleep(3);
          handled.add(m.id);
          return { kind: 'ack' };
        },
      );
      await subscription.ready;
      const health: boolean[] = [];
      const watch = setInterval(() => health.push(transport.health().ok), 5);
      try {
        const total = 600;
        const sent = Array.from({ length: total }, (_, n) => conformanceMessage(topic, { n }, { key: `k-${n % 40}` }));
        await transport.publish(sent);
        await eventually('mid-stream', () => handled.size >= 100, 20_000, 1);
        await broker!.failNextRequests(OFFSET_COMMIT, [REBALANCE_IN_PROGRESS]);
        const injectedAt = Date.now();
        await eventually('every message handled', () => handled.size >= total, 30_000);
        console.log(`[kafka commit-refused test] all ${total} handled ${Date.now() - injectedAt} ms after the refusal`);
        await eventually('ready again', () => transport.health().ok, 10_000);
        expect(health).toContain(false);
        expect(health.at(-1)).toBe(true);
      } finally {
        clearInterval(watch);
        await transport.close();
      }
    },
  );
});
