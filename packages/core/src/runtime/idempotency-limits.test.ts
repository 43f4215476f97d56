import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand } from '../contracts/contracts.js';
import { ConflictError, IdempotencyResultNotStoredError } from '../errors/errors.js';
import { silentLogger } from '../log/logger.js';
import { memoryStore } from '../stores/memory-store.js';
import { createApp, type App } from './app.js';
import type { AppOptions } from './app-options.js';

const Big = defineCommand('limits.big', {
  input: z.object({ size: z.number(), fail: z.boolean().optional(), bigint: z.boolean().optional() }),
  output: z.unknown(),
});

const NOT_STORED = { code: 'TANDEM_IDEMPOTENCY_RESULT_NOT_STORED' };

describe('idempotent outcomes are kept only up to maxStoredBytes', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  async function start(options: Partial<AppOptions> = {}): Promise<{ runs: () => number }> {
    let runs = 0;
    app = createApp({ name: 'limits', logger: silentLogger, checkOutput: false, ...options });
    app.command(Big, async ({ size, fail, bigint }) => {
      runs++;
      if (fail) throw new ConflictError('refused', { details: { pad: 'e'.repeat(size) } });
      return bigint ? { n: 1n } : { pad: 'x'.repeat(size), runs };
    });
    await app.start();
    return { runs: () => runs };
  }

  for (const store of [false, true]) {
    describe(store ? 'with a memory store (outcome in the transaction)' : 'without a store', () => {
      const options = (): Partial<AppOptions> => (store ? { store: memoryStore({ outbox: false }) } : {});

      it('a result over the default 64 KiB is returned, and a replay says it was not kept without running again', async () => {
        const { runs } = await start(options());
        const first = (await app!.call(Big, { size: 100_000 }, { idempotencyKey: 'k1' })) as { pad: string };
        expect(first.pad).toHaveLength(100_000);
        const replay = app!.call(Big, { size: 100_000 }, { idempotencyKey: 'k1' });
        await expect(replay).rejects.toMatchObject(NOT_STORED);
        await expect(replay).rejects.toBeInstanceOf(IdempotencyResultNotStoredError);
        await expect(replay).rejects.toThrow(/already ran and succeeded.*not run again/);
        expect(runs()).toBe(1);
        // Within the limit: kept and replayed.
        const small = await app!.call(Big, { size: 60_000 }, { idempotencyKey: 'k2' });
        expect(await app!.call(Big, { size: 60_000 }, { idempotencyKey: 'k2' })).toEqual(small);
        expect(runs()).toBe(2);
      });

      it('an error whose details are over the limit is kept as the marker too', async () => {
        const { runs } = await start({ ...options(), idempotency: { maxStoredBytes: 1_000 } });
        await expect(app!.call(Big, { size: 5_000, fail: true }, { idempotencyKey: 'e' })).rejects.toBeInstanceOf(
          ConflictError,
        );
        const replay = app!.call(Big, { size: 5_000, fail: true }, { idempotencyKey: 'e' });
        await expect(replay).rejects.toMatchObject(NOT_STORED);
        await expect(replay).rejects.toThrow(/failed with TANDEM_CONFLICT/);
        expect(runs()).toBe(1);
      });

      it('a result JSON cannot encode is answered once and never run again', async () => {
        const { runs } = await start(options());
        expect(await app!.call(Big, { size: 0, bigint: true }, { idempotencyKey: 'b' })).toEqual({ n: 1n });
        await expect(app!.call(Big, { size: 0, bigint: true }, { idempotencyKey: 'b' })).rejects.toMatchObject(
          NOT_STORED,
        );
        expect(runs()).toBe(1);
      });
    });
  }
});
