import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AbortedError,
  createApp,
  defineCommand,
  defineEvent,
  MemoryBroker,
  memoryStore,
  MemoryTransport,
  service,
  silentLogger,
  type MemoryTx,
  type Store,
} from '../index.js';
import { eventually, sleep } from '../testing/harness.js';

const Placed = defineEvent('orders.placed', { data: z.object({ id: z.string() }) });
const Work = defineCommand('jobs.work', { input: z.object({}), output: z.object({ ok: z.boolean() }) });

/** Handlers that ignore `ctx.signal` cannot hold stop() past its bound. */
describe('stop() under handlers that ignore their signal', () => {
  it('returns within its bound with a hung event handler and a hung command', async () => {
    const broker = new MemoryBroker();
    let started = 0;
    const hang = () => new Promise<never>(() => undefined);
    const jobs = service('jobs')
      .onEvent(Placed, async () => {
        started++;
        await hang();
      })
      .command(
        Work,
        async () => {
          started++;
          return hang();
        },
        // A deadline far off: the run goes through its unit of work, which a forced stop ends.
        { timeoutMs: 60_000 },
      );
    const app = createApp({
      services: [jobs],
      broker: new MemoryTransport({ broker }),
      logger: silentLogger,
      shutdownTimeoutMs: 200,
    });
    await app.start();
    await app.publish(Placed, { id: 'a' });
    const call = app.call(Work, {}).catch((error: unknown) => error);
    await eventually('both handlers started', () => started === 2);
    const began = Date.now();
    await app.stop();
    const took = Date.now() - began;
    // 200 ms to drain, then the aborted runs end at once; generous for a loaded machine.
    expect(took).toBeLessThan(2_000);
    // A run stopped after it started is not "refused before it ran": resending it needs a key.
    expect(await call).toBeInstanceOf(AbortedError);
  });

  it('keeps a run in flight until its transaction has ended, so stop() never closes the store under it', async () => {
    const events: string[] = [];
    const inner = memoryStore();
    // A store that says when its transactions end and when it is closed.
    const store: Store<MemoryTx> = {
      name: 'observed',
      transaction: async (fn) => {
        try {
          return await inner.transaction(fn);
        } finally {
          await sleep(150);
          events.push('transaction ended');
        }
      },
      close: async () => void events.push('store closed'),
    };
    const jobs = service('jobs').command(
      Work,
      async () => {
        await sleep(50);
        return { ok: true };
      },
      { timeoutMs: 20 },
    );
    const app = createApp({ services: [jobs], store, logger: silentLogger });
    await app.start();
    await expect(app.call(Work, {})).rejects.toThrow(/deadline/);
    await app.stop();
    expect(events).toEqual(['transaction ended', 'store closed']);
  });
});
