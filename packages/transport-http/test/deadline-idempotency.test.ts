import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { createApp, defineCommand, memoryStore, service, silentLogger, type MemoryTx } from '@tandem/core';
import { eventually, sleep } from '@tandem/core/testing';
import { httpClient, httpServer } from '../src/index.js';

const Charge = defineCommand('billing.charge', {
  input: z.object({ amount: z.number() }),
  output: z.object({ run: z.number() }),
});

/**
 * A command that outlives its deadline is answered 504. The client retries a 504 with the
 * same Idempotency-Key (it gave every command one). If the first run could still commit
 * after its 504, or its key were free before it rolled back, one key would charge twice.
 */
describe('a command past its deadline, retried by the typed client with the same key', () => {
  it('charges once', async () => {
    const charges: number[] = [];
    let runs = 0;
    let lateWrite: unknown = 'not attempted';
    const billing = service('billing').command(
      Charge,
      async ({ amount }, ctx) => {
        const run = ++runs;
        // The first run ignores its signal and finishes late, as a slow database call would.
        if (run === 1) await sleep(500);
        try {
          (ctx.tx as MemoryTx).onSettle((committed) => committed && charges.push(amount));
          if (run === 1) lateWrite = 'registered';
        } catch (error) {
          if (run === 1) lateWrite = error;
          throw error;
        }
        return { run };
      },
      { timeoutMs: 150 },
    );
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const app = createApp({ services: [billing], http: server, store: memoryStore(), logger: silentLogger });
    await app.start();
    const client = httpClient({
      services: { billing: server.url! },
      idempotencyKeys: 'auto',
      timeoutMs: 3_000,
      retry: { attempts: 4, baseDelayMs: 50 },
      breaker: false,
    });
    try {
      expect(await client.call(Charge, { amount: 10 })).toEqual({ run: 2 });
      await eventually('the first run finished late', () => lateWrite !== 'not attempted');
      await sleep(100);
      expect(charges).toEqual([10]);
      expect((lateWrite as Error).name).toBe('TransactionClosedError');
    } finally {
      await client.close();
      await app.stop();
    }
  });
});
