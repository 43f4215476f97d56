import { TransactionClosedError } from '../errors/errors.js';
import { raced } from './abort-race.js';
import type { Store } from '../stores/store.js';
import type { RunContext } from './context-factory.js';
import type { Invocation } from './invocation.js';
import type { UnitDeps } from './unit-of-work.js';

/** The unit of work proper (unit-of-work.ts), passed in so that file keeps its one import of this one. */
type InTransaction = (inv: Invocation, store: Store, deps: UnitDeps) => Promise<unknown>;

/**
 * The unit of work of a handler registered with `transaction: 'deferred'`. The handler starts
 * outside any transaction, so what it does first (calls to other services, which commit on
 * their own) holds no pooled connection and no lock. Its transaction opens when it awaits
 * `ctx.transaction()`, and from then on the run is the same unit as an immediate one: its
 * writes, the outbox rows of every event it published (before the transaction opened or
 * after) and its idempotency record commit together, or none of them does. A handler that
 * never opens it gets one after it returns when there is something to record (events, an
 * idempotency key), and none otherwise.
 */
export function runDeferred(
  inv: Invocation,
  store: Store,
  deps: UnitDeps,
  inTransaction: InTransaction,
): Promise<unknown> {
  const ctx = inv.ctx as RunContext;
  const abort = inv.controller;
  if (abort.aborted) return Promise.reject(abort.reason);
  let handlerSettled = false;
  let unit: Promise<unknown> | undefined;
  let opened: Promise<unknown> | undefined;
  // The handler's outcome, for the unit to wait on once its transaction is open. Settled only
  // after the handler has started, which may be after the handler asked for the transaction.
  let settle!: (outcome: Promise<unknown>) => void;
  const outcome = new Promise<unknown>((resolve) => (settle = resolve));
  // Observed by the unit when it opens; a handler that fails before that must not warn of an unhandled rejection.
  outcome.catch(noop);

  const open = (): Promise<unknown> => {
    opened ??= new Promise((resolve, reject) => {
      unit = inTransaction(inv, store, {
        ...deps,
        // Called once the transaction is open: the handler, already running, goes on inside it.
        handler: () => {
          resolve(ctx.tx);
          return outcome;
        },
      });
      // It could not open (BEGIN failed, the run aborted first): the handler's await fails with it.
      unit.catch(reject);
    });
    return opened;
  };
  ctx.opener = () => {
    if (handlerSettled || abort.aborted) return Promise.reject(openedTooLate(inv));
    return open();
  };

  let started: Promise<unknown>;
  try {
    started = deps.handler(inv);
  } catch (error) {
    started = Promise.reject(error);
  }
  const settled = (): void => {
    handlerSettled = true;
  };
  started.then(settled, settled);
  settle(started);
  return raced(abort, started, () => true).then(
    (value) => {
      if (unit) return unit;
      if (inv.pending.length === 0 && inv.idempotency === undefined) return value;
      return open().then(() => unit);
    },
    // Opened: its rollback is part of the run, and its outcome is the handler's failure or the abort.
    (error: unknown) => (unit ? unit : Promise.reject(error)),
  );
}

function openedTooLate(inv: Invocation): TransactionClosedError {
  return new TransactionClosedError(
    `ctx.transaction() of ${inv.contract.name} was called after its unit of work ended (its deadline passed, its ` +
      `caller ended, or the handler had returned); no transaction was opened. Await it before the handler returns`,
  );
}

function noop(): void {}
