import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, defineEvent, MemoryBroker, MemoryTransport, service, silentLogger } from '../index.js';
import { eventually, sleep } from '../testing/harness.js';

const Placed = defineEvent('orders.placed', { data: z.object({ id: z.string() }) });
const Paid = defineEvent('payments.paid', { data: z.object({ id: z.string() }) });

/** A handler's `concurrency` is its own bound, whatever the group's or the app's default. */
describe('handler concurrency', () => {
  it('runs a handler declared with concurrency 1 one message at a time, beside a default one', async () => {
    let running = 0;
    let most = 0;
    let otherMost = 0;
    let otherRunning = 0;
    const handled: string[] = [];
    const shipping = service('shipping')
      .onEvent(
        Placed,
        async ({ id }) => {
          most = Math.max(most, ++running);
          await sleep(10);
          running--;
          handled.push(id);
        },
        { concurrency: 1 },
      )
      .onEvent(Paid, async () => {
        otherMost = Math.max(otherMost, ++otherRunning);
        await sleep(30);
        otherRunning--;
      });
    const app = createApp({
      services: [shipping],
      broker: new MemoryTransport({ broker: new MemoryBroker() }),
      logger: silentLogger,
    });
    await app.start();
    try {
      // Distinct keys: nothing but the declared concurrency orders them.
      for (let i = 0; i < 40; i++) {
        await app.publish(Placed, { id: `o${i}` }, { key: `o${i}` });
        await app.publish(Paid, { id: `p${i}` }, { key: `p${i}` });
      }
      await eventually('all handled', () => handled.length === 40);
      expect(most).toBe(1);
      // The other handler in the group is not held to it.
      expect(otherMost).toBeGreaterThan(1);
    } finally {
      await app.stop();
    }
  });
});
