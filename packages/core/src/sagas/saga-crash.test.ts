/**
 * A crash between any two operations of a saga step (the instance's load and save, the
 * inbox record, the outbox rows, the commit and the ack), and in the saga clock's: the
 * step is run again and its effects happen exactly once. A fault here fails every other
 * operation at its point (the first attempt of each step fails there, its retry passes),
 * on the one path every step and every timeout takes.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { createApp } from '../runtime/app.js';
import { MemoryStore } from '../stores/memory-store.js';
import type { MemoryTx } from '../stores/memory-tx.js';
import type { Store } from '../stores/store.js';
import { eventually } from '../testing/harness.js';
import { checkoutWorld } from '../testing/saga-fixture.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';

type Point = 'inbox' | 'load' | 'save' | 'outbox' | 'commit' | 'claim';
const points: Point[] = ['inbox', 'load', 'save', 'outbox', 'commit', 'claim'];

/** The store, with every other call at `point` failing right after it did its work. */
function faulty(inner: MemoryStore, point: Point): { store: Store; faults: () => number } {
  let calls = 0;
  let faults = 0;
  const crash = <T>(value: T, at: Point): T => {
    if (at !== point || calls++ % 2 === 1) return value;
    faults++;
    throw new Error(`injected crash after ${at}`);
  };
  const store: Store<MemoryTx> = {
    name: 'faulty-memory',
    transaction: async (fn) => crash(await inner.transaction(fn), 'commit'),
    nested: (tx, fn) => inner.nested(tx, fn),
    inbox: { record: async (tx, group, id) => crash(await inner.inbox.record(tx, group, id), 'inbox') },
    idempotency: inner.idempotency,
    outbox: new Proxy(inner.outbox!, {
      get(target, property) {
        if (property === 'append')
          return async (tx: MemoryTx, messages: never) => crash(await target.append(tx, messages), 'outbox');
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }),
    sagas: {
      load: async (tx, saga, id) => crash(await inner.sagas.load(tx, saga, id), 'load'),
      save: async (tx, instance, expected) => crash(await inner.sagas.save(tx, instance, expected), 'save'),
      claimDue: async (tx, now, limit) => crash(await inner.sagas.claimDue(tx, now, limit), 'claim'),
      list: (query) => inner.sagas.list(query),
      get: (saga, id) => inner.sagas.get(saga, id),
      counts: () => inner.sagas.counts(),
      purgeEnded: (before, limit) => inner.sagas.purgeEnded(before, limit),
    },
  };
  return { store: store as Store, faults: () => faults };
}

describe('a crash between any two operations of a saga step', () => {
  for (const point of points) {
    it(`after ${point}: every step and command takes effect once, on the happy path and through a timeout`, async () => {
      const committed: string[] = [];
      const world = checkoutWorld({
        paymentTimeoutMs: 400,
        slowPaymentMs: 1_500,
        onRun: (tx, run) => (tx as MemoryTx).onSettle((ok) => ok && committed.push(`${run.command}:${run.orderId}`)),
      });
      const inner = new MemoryStore();
      const { store, faults } = faulty(inner, point);
      const broker = new MemoryBroker();
      const app = createApp({
        name: world.prefix,
        services: [...world.services, world.checkout],
        broker: new MemoryTransport({ broker }),
        store,
        logger: silentLogger,
        sagaClock: { pollMs: 20 },
        retry: { initialDelayMs: 10, maxDelayMs: 50 },
      });
      await app.start();
      try {
        const { Placed, Delivered } = world.contracts;
        await app.publish(Placed, { orderId: 'happy', amount: 1 }, { key: 'happy' });
        await eventually(
          'happy to ship',
          async () =>
            (await inner.sagas.get(world.checkout.name, 'happy'))?.state !== undefined &&
            ((await inner.sagas.get(world.checkout.name, 'happy'))!.state as { stage: string }).stage === 'shipping',
        );
        await app.publish(Delivered, { orderId: 'happy' }, { key: 'happy' });
        await eventually(
          'happy to complete',
          async () => (await inner.sagas.get(world.checkout.name, 'happy'))?.status === 'completed',
        );

        world.paymentMode = 'slow';
        await app.publish(Placed, { orderId: 'late', amount: 2 }, { key: 'late' });
        await eventually('late to be compensated, its late payment voided', async () => {
          const one = await inner.sagas.get(world.checkout.name, 'late');
          return one?.status === 'compensated' && world.payments.get('late') === 'voided';
        });

        const happy = (await inner.sagas.get(world.checkout.name, 'happy'))!;
        expect(happy.data.history.map((h) => h.input.split('.').pop())).toEqual([
          'placed',
          'reserve',
          'authorize',
          'delivered',
        ]);
        const late = (await inner.sagas.get(world.checkout.name, 'late'))!;
        expect(late.data.history.filter((h) => h.input === 'timeout:payment')).toHaveLength(1);
        expect(committed.sort()).toEqual([
          'authorize:happy',
          'authorize:late',
          'release:late',
          'reserve:happy',
          'reserve:late',
          'void:late',
        ]);
        if (point === 'claim') expect(faults()).toBeGreaterThanOrEqual(1);
        else expect(faults()).toBeGreaterThanOrEqual(5);
      } finally {
        await app.stop();
      }
    }, 30_000);
  }
});
