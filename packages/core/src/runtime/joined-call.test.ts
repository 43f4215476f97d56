import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConflictError,
  createApp,
  defineCommand,
  defineEvent,
  MemoryBroker,
  memoryStore,
  MemoryTransport,
  service,
  silentLogger,
  type MemoryTx,
} from '../index.js';
import { sleep } from '../testing/harness.js';

const Reserve = defineCommand('stock.reserve', {
  input: z.object({ sku: z.string() }),
  output: z.object({ ok: z.boolean() }),
});
const Place = defineCommand('orders.place', {
  input: z.object({ sku: z.string(), fail: z.boolean() }),
  output: z.object({ ok: z.boolean() }),
});
const Reserved = defineEvent('stock.reserved', { data: z.object({ sku: z.string() }) });

describe('an in-process ctx.call with a store', () => {
  it("joins the caller's unit of work: its events are sent only if the caller commits", async () => {
    const broker = new MemoryTransport({ broker: new MemoryBroker() });
    const seen: string[] = [];
    const committed: string[] = [];
    const stock = service('stock').command(Reserve, async ({ sku }, ctx) => {
      // A write in the shared transaction: applied only if the caller's unit commits.
      (ctx.tx as MemoryTx).onSettle((ok) => ok && committed.push(`reserved ${sku}`));
      if (sku === 'none') throw new ConflictError('out of stock');
      await ctx.publish(Reserved, { sku });
      return { ok: true };
    });
    const orders = service('orders')
      .command(Place, async ({ sku, fail }, ctx) => {
        await ctx.call(Reserve, { sku });
        if (fail) throw new Error('the caller failed after the call');
        return { ok: true };
      })
      .onEvent(Reserved, async ({ sku }) => void seen.push(sku));
    const app = createApp({ services: [stock, orders], broker, store: memoryStore(), logger: silentLogger });
    await app.start();
    try {
      await expect(app.call(Place, { sku: 'tea', fail: false })).resolves.toEqual({ ok: true });
      expect(committed).toEqual(['reserved tea']);
      await expect(app.call(Place, { sku: 'mug', fail: true })).rejects.toThrow(/caller failed/);
      await expect(app.call(Place, { sku: 'none', fail: false })).rejects.toBeInstanceOf(ConflictError);
      await sleep(300);
      expect(seen).toEqual(['tea']);
      expect(committed).toEqual(['reserved tea']);
    } finally {
      await app.stop();
    }
  });

  it("frees a joined callee's idempotency key at once when the caller's transaction rolls back", async () => {
    let runs = 0;
    let failCaller = true;
    const stock = service('stock').command(Reserve, async () => {
      runs++;
      return { ok: true };
    });
    const orders = service('orders').command(Place, async ({ sku }, ctx) => {
      await ctx.call(Reserve, { sku }, { idempotencyKey: `reserve-${sku}` });
      if (failCaller) throw new Error('the caller failed after the call');
      return { ok: true };
    });
    const app = createApp({
      services: [stock, orders],
      store: memoryStore(),
      logger: silentLogger,
      // A lease far longer than the test: the key must be freed by the rollback, not by lapsing.
      idempotency: { leaseMs: 60_000 },
    });
    await app.start();
    try {
      await expect(app.call(Place, { sku: 'tea', fail: false })).rejects.toThrow(/caller failed/);
      failCaller = false;
      // The callee's completed outcome was rolled back with the caller: the retry runs it, not IN_FLIGHT.
      await expect(app.call(Place, { sku: 'tea', fail: false })).resolves.toEqual({ ok: true });
      expect(runs).toBe(2);
      // Committed this time: a third call replays the callee's outcome.
      await expect(app.call(Place, { sku: 'tea', fail: false })).resolves.toEqual({ ok: true });
      expect(runs).toBe(2);
    } finally {
      await app.stop();
    }
  });
});
