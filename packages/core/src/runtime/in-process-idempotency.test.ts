import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand } from '../contracts/contracts.js';
import { silentLogger } from '../log/logger.js';
import { memoryStore } from '../stores/memory-store.js';
import { createApp, type App } from './app.js';
import type { AppOptions } from './app-options.js';

/**
 * `CallOptions.idempotencyKey` in process means what `Idempotency-Key` means over HTTP: one
 * run per key, the same answer to every caller, and a key reused for other input refused.
 * Moving a service into its caller's process must not change that.
 */
const Charge = defineCommand('payments.charge', {
  input: z.object({ amount: z.number() }),
  output: z.object({ charge: z.number(), amount: z.number() }),
});

describe('an idempotency key given to app.call', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  async function start(options: Partial<AppOptions>, holdMs = 0): Promise<{ runs: () => number }> {
    let runs = 0;
    app = createApp({ name: 'payments', logger: silentLogger, ...options });
    app.command(Charge, async ({ amount }) => {
      const charge = ++runs;
      if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
      return { charge, amount };
    });
    await app.start();
    return { runs: () => runs };
  }

  for (const [name, options] of [
    ['without a store', () => ({})],
    ['with a memory store', () => ({ store: memoryStore() })],
  ] as const) {
    describe(name, () => {
      it('runs the command once for two calls one after the other, and answers both alike', async () => {
        const { runs } = await start(options());
        const first = await app!.call(Charge, { amount: 10 }, { idempotencyKey: 'order-1' });
        const second = await app!.call(Charge, { amount: 10 }, { idempotencyKey: 'order-1' });
        expect(runs()).toBe(1);
        expect(second).toEqual(first);
        // Another key is another command.
        await app!.call(Charge, { amount: 10 }, { idempotencyKey: 'order-2' });
        expect(runs()).toBe(2);
      });

      it('runs the command once for two calls at the same time', async () => {
        const { runs } = await start(options(), 50);
        const results = await Promise.allSettled([
          app!.call(Charge, { amount: 10 }, { idempotencyKey: 'order-1' }),
          app!.call(Charge, { amount: 10 }, { idempotencyKey: 'order-1' }),
        ]);
        expect(runs()).toBe(1);
        expect(results[0]).toEqual({ status: 'fulfilled', value: { charge: 1, amount: 10 } });
        // The second caller is told the key is in flight, or gets the same answer; never a second run.
        if (results[1].status === 'rejected') expect(results[1].reason).toMatchObject({ code: expect.any(String) });
        else expect(results[1].value).toEqual({ charge: 1, amount: 10 });
      });

      it('refuses the key for other input, without running', async () => {
        const { runs } = await start(options());
        await app!.call(Charge, { amount: 10 }, { idempotencyKey: 'order-1' });
        await expect(app!.call(Charge, { amount: 99 }, { idempotencyKey: 'order-1' })).rejects.toMatchObject({
          code: expect.stringMatching(/^TANDEM_/),
        });
        expect(runs()).toBe(1);
      });
    });
  }
});
