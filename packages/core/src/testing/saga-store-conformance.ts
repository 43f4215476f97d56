/**
 * The saga store conformance suite: what the saga runtime relies on from `Store.sagas`,
 * for any store. Every store package with a saga store runs it, unchanged, against its
 * real database: `runSagaStoreConformance(harness)` inside a vitest test file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SagaInstance } from '../sagas/saga-store.js';
import { runSagaLockConformance } from './saga-store-lock-conformance.js';
import {
  holdTransaction,
  insertAll,
  sagaInstance,
  T0,
  type HeldTransaction,
  type SagaStoreHarness,
  type SagaStoreUnderTest,
} from './saga-store-harness.js';

/** Registers the saga store conformance suite in the calling test file. */
export function runSagaStoreConformance<Tx>(harness: SagaStoreHarness<Tx>): void {
  const timeout = harness.timeoutMs ?? 30_000;
  const cleanup: Array<() => Promise<unknown>> = [];

  async function open(): Promise<SagaStoreUnderTest<Tx>> {
    const store = await harness.create();
    cleanup.push(async () => store.close?.());
    await store.connect?.();
    if (!store.sagas) throw new Error(`saga store conformance: store '${store.name}' has no sagas part`);
    const held: Array<HeldTransaction<Tx>> = [];
    // Before the store closes, all at once: one may wait for a lock another holds.
    cleanup.unshift(() => Promise.all(held.map((tx) => tx.rollback())));
    const hold = () => {
      const tx = holdTransaction(store);
      held.push(tx);
      return tx;
    };
    return { store, sagas: store.sagas, hold };
  }

  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  });

  describe(`saga store conformance: ${harness.name}`, () => {
    it(
      'round-trips every field: unicode, nested JSON, dueAt set and absent, timestamps to the ms',
      { timeout },
      async () => {
        const s = await open();
        const full = sagaInstance('checkout-✓', 'order-ünïcødé-订单-🛒', {
          version: 1,
          status: 'compensating',
          state: {
            nested: { list: [1, 2.5, -3, null, true, 'אבג'], empty: {}, deep: { a: [{ b: [] }] } },
            big: 2 ** 52,
          },
          data: {
            timeouts: { payment: { dueAt: T0 + 60_999, token: 'tok-1', fired: true } },
            compensations: [
              { kind: 'event', name: 'Refunded', topic: 'pay.refunded', version: 2, data: { x: 1 }, key: 'k' },
            ],
            pending: { c1: { command: 'pay.charge', undo: { kind: 'command', name: 'pay.refund', input: { n: 1 } } } },
            history: [{ at: T0 + 1, input: 'reply:pay.charge', messageId: 'm-1', status: 'running', note: 'é' }],
            reason: 'payment declined — card expired',
          },
          dueAt: T0 + 60_999,
          createdAt: T0 - 86_400_001,
          updatedAt: T0 + 7,
        });
        const bare = sagaInstance('checkout-✓', 'order-2', { state: 'just a string' });
        await insertAll(s, full, bare);

        const loaded = await s.store.transaction(async (tx) => [
          await s.sagas.load(tx, full.saga, full.id),
          await s.sagas.load(tx, bare.saga, bare.id),
        ]);
        expect(loaded).toEqual([full, bare]);
        expect(loaded[1]!.dueAt).toBeUndefined();
        expect(await s.sagas.get(full.saga, full.id)).toEqual(full);
        expect(await s.sagas.get(bare.saga, bare.id)).toEqual(bare);
        expect(await s.sagas.get(full.saga, 'missing')).toBeUndefined();

        // An update writes every field too, and clears dueAt.
        const changed: SagaInstance = { ...full, version: 2, status: 'compensated', state: ['ok'], updatedAt: T0 + 99 };
        delete changed.dueAt;
        expect(await s.store.transaction((tx) => s.sagas.save(tx, changed, 1))).toBe(true);
        const reread = await s.sagas.get(full.saga, full.id);
        expect(reread).toEqual(changed);
        expect(reread!.dueAt).toBeUndefined();
      },
    );

    it('insert conflict: a second insert of one id saves nothing and says false', { timeout }, async () => {
      const s = await open();
      const first = sagaInstance('orders', 'o1', { state: { by: 'first' } });
      const second = sagaInstance('orders', 'o1', { state: { by: 'second' }, updatedAt: T0 + 1 });
      expect(await s.store.transaction((tx) => s.sagas.save(tx, first, 0))).toBe(true);
      expect(await s.store.transaction((tx) => s.sagas.save(tx, second, 0))).toBe(false);
      expect(await s.sagas.get('orders', 'o1')).toEqual(first);
    });

    it('update conflict: a save with a stale version saves nothing and says false', { timeout }, async () => {
      const s = await open();
      const v1 = sagaInstance('orders', 'o1');
      await insertAll(s, v1);
      const v2 = { ...v1, version: 2, state: { step: 1 }, updatedAt: T0 + 1 };
      expect(await s.store.transaction((tx) => s.sagas.save(tx, v2, 1))).toBe(true);
      const stale = { ...v1, version: 2, status: 'parked' as const, state: { step: 'stale' }, updatedAt: T0 + 2 };
      expect(await s.store.transaction((tx) => s.sagas.save(tx, stale, 1))).toBe(false);
      const ahead = { ...v1, version: 4, state: { step: 'ahead' }, updatedAt: T0 + 3 };
      expect(await s.store.transaction((tx) => s.sagas.save(tx, ahead, 3))).toBe(false);
      expect(await s.store.transaction((tx) => s.sagas.save(tx, { ...v1, id: 'never-inserted' }, 1))).toBe(false);
      expect(await s.sagas.get('orders', 'o1')).toEqual(v2);
      expect(await s.sagas.get('orders', 'never-inserted')).toBeUndefined();
    });

    it('rollback: a transaction that throws after saving leaves no insert and no update', { timeout }, async () => {
      const s = await open();
      const kept = sagaInstance('orders', 'kept');
      await insertAll(s, kept);
      const failure = new Error('step failed');
      await expect(
        s.store.transaction(async (tx) => {
          expect(await s.sagas.save(tx, sagaInstance('orders', 'new'), 0)).toBe(true);
          expect(await s.sagas.save(tx, { ...kept, version: 2, status: 'completed', updatedAt: T0 + 5 }, 1)).toBe(true);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await s.sagas.get('orders', 'new')).toBeUndefined();
      expect(await s.sagas.get('orders', 'kept')).toEqual(kept);
      expect(await s.sagas.list({ saga: 'orders' })).toEqual([kept]);
    });

    it(
      'list: filters by saga, status (one or several), updatedBefore and limit; newest change first',
      { timeout },
      async () => {
        const s = await open();
        const at = (ms: number) => ({ updatedAt: T0 + ms });
        const a0 = sagaInstance('a', 'a0', { status: 'running', ...at(5) });
        const a1 = sagaInstance('a', 'a1', { status: 'running', ...at(10) });
        const a2 = sagaInstance('a', 'a2', { status: 'completed', ...at(20) });
        const a3 = sagaInstance('a', 'a3', { status: 'parked', ...at(30) });
        const a4 = sagaInstance('a', 'a4', { status: 'compensating', ...at(40) });
        const b1 = sagaInstance('b', 'b1', { status: 'running', ...at(25) });
        await insertAll(s, a2, b1, a0, a4, a1, a3);

        expect(await s.sagas.list()).toEqual([a4, a3, b1, a2, a1, a0]);
        expect(await s.sagas.list({ saga: 'a' })).toEqual([a4, a3, a2, a1, a0]);
        expect(await s.sagas.list({ saga: 'c' })).toEqual([]);
        expect(await s.sagas.list({ status: 'running' })).toEqual([b1, a1, a0]);
        expect(await s.sagas.list({ status: ['parked', 'completed'] })).toEqual([a3, a2]);
        expect(await s.sagas.list({ updatedBefore: T0 + 25 })).toEqual([a2, a1, a0]);
        expect(await s.sagas.list({ limit: 2 })).toEqual([a4, a3]);
        expect(await s.sagas.list({ saga: 'a', status: 'running', updatedBefore: T0 + 10, limit: 5 })).toEqual([a0]);
      },
    );

    it('counts: instances per saga and status, with the oldest last change', { timeout }, async () => {
      const s = await open();
      await insertAll(
        s,
        sagaInstance('a', '1', { status: 'running', updatedAt: T0 + 30 }),
        sagaInstance('a', '2', { status: 'running', updatedAt: T0 + 10 }),
        sagaInstance('a', '3', { status: 'running', updatedAt: T0 + 20 }),
        sagaInstance('a', '4', { status: 'parked', updatedAt: T0 + 40 }),
        sagaInstance('b', '1', { status: 'running', updatedAt: T0 + 50 }),
      );
      const counts = await s.sagas.counts();
      const order = (c: { saga: string; status: string }) => `${c.saga}/${c.status}`;
      expect([...counts].sort((x, y) => order(x).localeCompare(order(y)))).toEqual([
        { saga: 'a', status: 'parked', count: 1, oldestUpdatedAt: T0 + 40 },
        { saga: 'a', status: 'running', count: 3, oldestUpdatedAt: T0 + 10 },
        { saga: 'b', status: 'running', count: 1, oldestUpdatedAt: T0 + 50 },
      ]);
    });

    it(
      'purgeEnded: deletes only completed and compensated instances changed before `before`, up to the limit',
      { timeout },
      async () => {
        const s = await open();
        const old = { updatedAt: T0 + 10 };
        const ended1 = sagaInstance('p', 'completed-old', { status: 'completed', ...old });
        const ended2 = sagaInstance('p', 'compensated-old', { status: 'compensated', ...old });
        const ended3 = sagaInstance('p', 'completed-older', { status: 'completed', updatedAt: T0 + 5 });
        const recent = sagaInstance('p', 'completed-recent', { status: 'completed', updatedAt: T0 + 100 });
        const edge = sagaInstance('p', 'completed-at-before', { status: 'completed', updatedAt: T0 + 50 });
        const live = (['running', 'compensating', 'parked'] as const).map((status) =>
          sagaInstance('p', `${status}-old`, { status, ...old }),
        );
        await insertAll(s, ended1, ended2, ended3, recent, edge, ...live);

        expect(await s.sagas.purgeEnded(T0 + 50, 2)).toBe(2);
        expect(await s.sagas.purgeEnded(T0 + 50)).toBe(1);
        expect(await s.sagas.purgeEnded(T0 + 50)).toBe(0);
        const left = (await s.sagas.list({ saga: 'p' })).map((i) => i.id).sort();
        expect(left).toEqual([
          'compensating-old',
          'completed-at-before',
          'completed-recent',
          'parked-old',
          'running-old',
        ]);
      },
    );
  });

  runSagaLockConformance(harness, open, timeout);
}
