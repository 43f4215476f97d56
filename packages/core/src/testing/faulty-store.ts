import type { SagaStore } from '../sagas/saga-store.js';
import type { OutboxStore, Store } from '../stores/store.js';

/** Where a faulty store fails: right after the named operation did its work. */
export type StoreFaultPoint = 'inbox' | 'load' | 'save' | 'outbox' | 'commit' | 'claim';

/** Every operation of a step and of the saga clock, in the order a step makes them. */
export const storeFaultPoints: readonly StoreFaultPoint[] = ['inbox', 'load', 'save', 'outbox', 'commit', 'claim'];

/**
 * `inner`, with every other call at `point` failing right after it did its work, as a crash
 * there would: the first attempt of each step fails at that point and its retry passes.
 * `commit` fails after the transaction committed (a crash before the ack).
 */
export function faultyStore(inner: Store, point: StoreFaultPoint): { store: Store; faults: () => number } {
  let calls = 0;
  let faults = 0;
  const crash = <T>(value: T, at: StoreFaultPoint): T => {
    if (at !== point || calls++ % 2 === 1) return value;
    faults++;
    throw new Error(`injected crash after ${at}`);
  };
  const sagas = inner.sagas;
  const store: Store = {
    name: `faulty-${inner.name}`,
    connect: () => inner.connect?.() ?? Promise.resolve(),
    close: () => inner.close?.() ?? Promise.resolve(),
    transaction: async (fn) => crash(await inner.transaction(fn), 'commit'),
    ...(inner.nested ? { nested: (tx: unknown, fn: (tx: unknown) => Promise<unknown>) => inner.nested!(tx, fn) } : {}),
    ...(inner.idempotency ? { idempotency: inner.idempotency } : {}),
    ...(inner.inbox
      ? {
          inbox: {
            record: async (tx: unknown, group: string, id: string) =>
              crash(await inner.inbox!.record(tx, group, id), 'inbox'),
          },
        }
      : {}),
    ...(inner.outbox ? { outbox: faultyOutbox(inner.outbox, (value) => crash(value, 'outbox')) } : {}),
    ...(sagas
      ? {
          sagas: {
            load: async (tx, saga, id) => crash(await sagas.load(tx, saga, id), 'load'),
            save: async (tx, instance, expected) => crash(await sagas.save(tx, instance, expected), 'save'),
            claimDue: async (tx, now, limit) => crash(await sagas.claimDue(tx, now, limit), 'claim'),
            list: (query) => sagas.list(query),
            get: (saga, id) => sagas.get(saga, id),
            counts: () => sagas.counts(),
            purgeEnded: (before, limit) => sagas.purgeEnded(before, limit),
          } satisfies SagaStore,
        }
      : {}),
  } as Store;
  return { store, faults: () => faults };
}

function faultyOutbox(outbox: OutboxStore, after: <T>(value: T) => T): OutboxStore {
  // A proxy, so the outbox's operator methods (refused, retry, ...) stay reachable.
  return new Proxy(outbox, {
    get(target, property) {
      if (property === 'append')
        return async (tx: unknown, messages: Parameters<OutboxStore['append']>[1]) =>
          after(await target.append(tx, messages));
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
