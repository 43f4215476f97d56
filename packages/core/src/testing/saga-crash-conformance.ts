/**
 * A crash between any two operations of a saga step (the instance's load and save, the
 * inbox record, the outbox rows, the commit and the ack), and in the saga clock's: the step
 * runs again and its effects happen exactly once. Stores run it against their real database
 * with `runSagaCrashConformance(harness)`; the commands of the checkout saga record each run
 * in the step's transaction, so only the runs that committed are counted.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { createApp } from '../runtime/app.js';
import type { Store } from '../stores/store.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { faultyStore, storeFaultPoints } from './faulty-store.js';
import { eventually } from './harness.js';
import { checkoutWorld } from './saga-fixture.js';

/** How a store plugs into the crash suite. */
export interface SagaCrashHarness {
  name: string;
  /** A store on the database, not yet connected. */
  store(): Store | Promise<Store>;
  /** Writes `run` in the command's transaction `tx`, so that it counts only if that commits. */
  recordRun(tx: unknown, run: string): void | Promise<void>;
  /** The runs that committed whose name starts with `prefix`. */
  committedRuns(prefix: string): Promise<string[]>;
}

/** Registers the crash suite in the calling test file. */
export function runSagaCrashConformance(harness: SagaCrashHarness): void {
  describe(`a crash between any two operations of a saga step: ${harness.name}`, () => {
    for (const point of storeFaultPoints) {
      it(
        `after ${point}: every step and command takes effect once, on the happy path and through a timeout`,
        { timeout: 60_000 },
        async () => {
          const world = checkoutWorld({
            paymentTimeoutMs: 500,
            slowPaymentMs: 1_500,
            onRun: (tx, run) => harness.recordRun(tx, `${run.orderId}:${run.command}`),
          });
          const happy = `${world.prefix}-happy`;
          const late = `${world.prefix}-late`;
          const inner = await harness.store();
          const { store, faults } = faultyStore(inner, point);
          const app = createApp({
            name: world.prefix,
            services: [...world.services, world.checkout],
            broker: new MemoryTransport({ broker: new MemoryBroker() }),
            store,
            logger: silentLogger,
            sagaClock: { pollMs: 20 },
          });
          await app.start();
          const instance = (id: string) => inner.sagas!.get(world.checkout.name, id);
          try {
            const { Placed, Delivered } = world.contracts;
            await app.publish(Placed, { orderId: happy, amount: 1 }, { key: happy });
            await eventually(
              'the happy order to ship',
              async () => ((await instance(happy))?.state as { stage?: string } | undefined)?.stage === 'shipping',
              40_000,
            );
            await app.publish(Delivered, { orderId: happy }, { key: happy });
            await eventually(
              'the happy order to complete',
              async () => (await instance(happy))?.status === 'completed',
              40_000,
            );

            world.paymentMode = 'slow';
            await app.publish(Placed, { orderId: late, amount: 2 }, { key: late });
            await eventually(
              'the late order to be compensated, its late payment voided',
              async () => (await instance(late))?.status === 'compensated' && world.payments.get(late) === 'voided',
              40_000,
            );

            const steps = (await instance(happy))!.data.history.map((h) => h.input.split('.').pop());
            expect(steps).toEqual(['placed', 'reserve', 'authorize', 'delivered']);
            expect((await instance(late))!.data.history.filter((h) => h.input === 'timeout:payment')).toHaveLength(1);
            expect((await harness.committedRuns(world.prefix)).sort()).toEqual(
              [
                `${happy}:authorize`,
                `${happy}:reserve`,
                `${late}:authorize`,
                `${late}:release`,
                `${late}:reserve`,
                `${late}:void`,
              ].sort(),
            );
            expect(faults()).toBeGreaterThanOrEqual(point === 'claim' ? 1 : 5);
          } finally {
            await app.stop();
          }
        },
      );
    }
  });
}
