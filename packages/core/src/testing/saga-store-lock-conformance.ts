/**
 * The saga store's locks: what serialises the steps of one instance across app instances,
 * and what lets the clock's pollers share the due instances without waiting on each other.
 */
import { describe, expect, it } from 'vitest';
import {
  insertAll,
  sagaInstance,
  T0,
  settlesWithin,
  type SagaStoreHarness,
  type SagaStoreUnderTest,
} from './saga-store-harness.js';
import { sleep } from './harness.js';

/** Transactions of the lost-update test, each adding one to the counter. */
const WRITERS = 50;

export function runSagaLockConformance<Tx>(
  harness: SagaStoreHarness<Tx>,
  open: () => Promise<SagaStoreUnderTest<Tx>>,
  timeout: number,
): void {
  const concurrent = harness.concurrentTransactions !== false;
  const oneConnection = concurrent ? '' : ' (skipped: this store runs one transaction at a time)';

  describe(`saga store conformance: ${harness.name}, locks`, () => {
    it(
      'load holds the instance: another transaction’s load waits until the holder commits, then sees its write',
      { timeout },
      async () => {
        const s = await open();
        const v1 = sagaInstance('orders', 'o1', { state: { n: 0 } });
        await insertAll(s, v1);

        const a = s.hold();
        expect(await a.run((tx) => s.sagas.load(tx, 'orders', 'o1'))).toEqual(v1);
        let bLoaded = false;
        const b = s.store.transaction(async (tx) => {
          const seen = await s.sagas.load(tx, 'orders', 'o1');
          bLoaded = true;
          return seen;
        });
        await sleep(300);
        expect(bLoaded, 'the second load returned while the first transaction held the instance').toBe(false);

        const v2 = { ...v1, version: 2, state: { n: 1 }, updatedAt: T0 + 1 };
        expect(await a.run((tx) => s.sagas.save(tx, v2, 1))).toBe(true);
        await a.commit();
        expect(
          await settlesWithin(b, 10_000, 'the second load still waits after the first transaction committed'),
        ).toEqual(v2);
      },
    );

    it.skipIf(!concurrent)(
      `insert conflict between open transactions: the second insert waits for the first and says false${oneConnection}`,
      { timeout },
      async () => {
        const s = await open();
        const first = sagaInstance('orders', 'o1', { state: { by: 'first' } });
        const a = s.hold();
        expect(await a.run((tx) => s.sagas.save(tx, first, 0))).toBe(true);
        const b = s.store.transaction((tx) =>
          s.sagas.save(tx, sagaInstance('orders', 'o1', { state: { by: 'b' } }), 0),
        );
        await sleep(100);
        await a.commit();
        expect(await settlesWithin(b, 10_000, 'the second insert still waits after the first committed')).toBe(false);
        expect(await s.sagas.get('orders', 'o1')).toEqual(first);
      },
    );

    it(
      'claimDue: earliest due first, at most `limit`, due at or before `now`; future and absent dueAt left out',
      { timeout },
      async () => {
        const s = await open();
        const z = sagaInstance('clock', 'z', { dueAt: T0 + 3 });
        const x = sagaInstance('clock', 'x', { dueAt: T0 + 1 });
        const later = sagaInstance('clock', 'later', { dueAt: T0 + 1_000_000 });
        const none = sagaInstance('clock', 'none');
        const y = sagaInstance('other', 'y', { dueAt: T0 + 2 });
        await insertAll(s, z, x, later, none, y);

        const claim = (now: number, limit: number) => s.store.transaction((tx) => s.sagas.claimDue(tx, now, limit));
        expect(await claim(T0 + 100, 10)).toEqual([x, y, z]);
        expect(await claim(T0 + 100, 2)).toEqual([x, y]);
        expect(await claim(T0 + 2, 10)).toEqual([x, y]);
        expect(await claim(T0, 10)).toEqual([]);
      },
    );

    it.skipIf(!concurrent)(
      `claimDue skips instances other open transactions hold (by load or by claimDue) instead of waiting${oneConnection}`,
      { timeout },
      async () => {
        const s = await open();
        const x = sagaInstance('clock', 'x', { dueAt: T0 + 1 });
        const y = sagaInstance('clock', 'y', { dueAt: T0 + 2 });
        const z = sagaInstance('clock', 'z', { dueAt: T0 + 3 });
        await insertAll(s, x, y, z);
        const now = T0 + 100;

        const a = s.hold();
        expect(await a.run((tx) => s.sagas.load(tx, 'clock', 'x'))).toEqual(x);
        const b = s.hold();
        const byB = b.run((tx) => s.sagas.claimDue(tx, now, 1));
        expect(await settlesWithin(byB, 5_000, 'claimDue waited for an instance another transaction loaded')).toEqual([
          y,
        ]);
        const c = s.hold();
        const byC = c.run((tx) => s.sagas.claimDue(tx, now, 10));
        expect(await settlesWithin(byC, 5_000, 'claimDue waited for an instance another claimDue holds')).toEqual([z]);
        await Promise.all([a.commit(), b.commit(), c.rollback()]);

        expect(await s.store.transaction((tx) => s.sagas.claimDue(tx, now, 10))).toEqual([x, y, z]);
      },
    );

    it(
      `no lost update: ${WRITERS} concurrent transactions each load, add one and save (again on a false save)`,
      { timeout },
      async () => {
        const s = await open();
        let conflicts = 0;
        const addOne = async (): Promise<void> => {
          for (;;) {
            const saved = await s.store.transaction(async (tx) => {
              const current = await s.sagas.load(tx, 'counter', 'c');
              const version = current?.version ?? 0;
              const counter = (current?.state as { counter: number } | undefined)?.counter ?? 0;
              const next = sagaInstance('counter', 'c', { version: version + 1, state: { counter: counter + 1 } });
              return s.sagas.save(tx, next, version);
            });
            if (saved) return;
            conflicts++;
            if (conflicts > WRITERS * WRITERS) throw new Error('saga store conformance: saves keep conflicting');
          }
        };
        await Promise.all(Array.from({ length: WRITERS }, addOne));
        const final = await s.sagas.get('counter', 'c');
        expect({ version: final?.version, state: final?.state }).toEqual({
          version: WRITERS,
          state: { counter: WRITERS },
        });
      },
    );
  });
}
