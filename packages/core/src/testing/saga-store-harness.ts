import type { SagaInstance, SagaStore } from '../sagas/saga-store.js';
import type { Store } from '../stores/store.js';
import { deferred } from './harness.js';

/** What a store package gives the saga store conformance suite. */
export interface SagaStoreHarness<Tx = unknown> {
  name: string;
  /**
   * A store with `sagas` and no saga instances yet (a new database, schema or table prefix
   * per call), not connected: the suite connects it and closes it after the test.
   */
  create(): Promise<Store<Tx>>;
  /**
   * False for a store with one connection (PGlite): its transactions run one at a time, so
   * the tests that need two open at once are skipped for it. Default true.
   */
  concurrentTransactions?: boolean;
  /** Per-test timeout. Default 30,000. */
  timeoutMs?: number;
}

/** A store with its saga part, as the tests use it. */
export interface SagaStoreUnderTest<Tx> {
  store: Store<Tx>;
  sagas: SagaStore<Tx>;
  /** A transaction the test keeps open; rolled back after the test if the test left it open (a failed assertion). */
  hold(): HeldTransaction<Tx>;
}

/** A fixed point in time the tests count from (epoch ms, with milliseconds to round-trip). */
export const T0 = 1_700_000_000_123;

/** A running instance at version 1, changed at T0, with `patch` applied. */
export function sagaInstance(saga: string, id: string, patch: Partial<SagaInstance> = {}): SagaInstance {
  return {
    saga,
    id,
    version: 1,
    status: 'running',
    state: { step: 0 },
    data: { timeouts: {}, compensations: [], pending: {}, history: [] },
    createdAt: T0,
    updatedAt: T0,
    ...patch,
  };
}

/** Inserts each instance in its own committed transaction. */
export async function insertAll<Tx>(
  { store, sagas }: SagaStoreUnderTest<Tx>,
  ...instances: SagaInstance[]
): Promise<void> {
  for (const instance of instances) {
    const saved = await store.transaction((tx) => sagas.save(tx, instance, 0));
    if (!saved) throw new Error(`saga store conformance: inserting ${instance.saga}/${instance.id} conflicted`);
  }
}

/** Thrown inside a held transaction to roll it back. */
class RollBack extends Error {}

/** A transaction kept open by the test, so another one can run against it. */
export interface HeldTransaction<Tx> {
  /** Resolves with the transaction once it has begun. */
  tx: Promise<Tx>;
  /** Runs `fn` inside the transaction. */
  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** Begins a transaction that stays open until `commit` or `rollback`. */
export function holdTransaction<Tx>(store: Store<Tx>): HeldTransaction<Tx> {
  const begun = deferred<Tx>();
  const end = deferred<boolean>();
  const settled = store
    .transaction(async (tx) => {
      begun.resolve(tx);
      if (!(await end.promise)) throw new RollBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RollBack)) throw error;
    });
  return {
    tx: begun.promise,
    run: async (fn) => fn(await begun.promise),
    commit: () => (end.resolve(true), settled),
    rollback: () => (end.resolve(false), settled),
  };
}

/** `promise`'s value, or a failure naming `what` when it takes longer than `ms`: a test fails instead of hanging. */
export async function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`saga store conformance: ${what} (waited ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
