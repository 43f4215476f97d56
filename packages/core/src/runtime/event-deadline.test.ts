import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, defineEvent, MemoryBroker, MemoryTransport, service, silentLogger } from '../index.js';
import { eventually, sleep } from '../testing/harness.js';

const Placed = defineEvent('orders.placed', { data: z.object({ id: z.string() }) });
const Shipped = defineEvent('shipping.shipped', { data: z.object({ id: z.string() }) });

/**
 * An event handler past its deadline is retried; the run that timed out must not publish
 * when it finally gets there, or the retry's event and its own both go out, with different
 * ids, and no inbox downstream can tell them apart.
 */
describe('an event handler past its deadline (no store)', () => {
  it('publishes nothing from the run that timed out; its retry publishes once', async () => {
    const broker = new MemoryBroker();
    const shipped: string[] = [];
    let runs = 0;
    const shipping = service('shipping').onEvent(
      Placed,
      async ({ id }, ctx) => {
        const run = ++runs;
        // The first run ignores its signal and finishes late.
        if (run === 1) await sleep(300);
        await ctx.publish(Shipped, { id: `${id}/run-${run}` }, { key: id });
      },
      { timeoutMs: 100, retry: { attempts: 3, immediateRetries: 2 } },
    );
    const audit = service('audit').onEvent(Shipped, async ({ id }) => void shipped.push(id));
    const app = createApp({
      services: [shipping, audit],
      broker: new MemoryTransport({ broker }),
      logger: silentLogger,
    });
    await app.start();
    try {
      await app.publish(Placed, { id: 'o1' }, { key: 'o1' });
      await eventually('the retry published', () => shipped.length >= 1);
      await sleep(500);
      expect(runs).toBe(2);
      expect(shipped).toEqual(['o1/run-2']);
    } finally {
      await app.stop();
    }
  });
});
