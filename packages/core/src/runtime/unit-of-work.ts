import { InternalError, TransactionClosedError } from '../errors/errors.js';
import type { Step } from '../middleware/stage.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport } from '../transport/broker.js';
import type { RunContext } from './context-factory.js';
import { claimIn, claimOutcome, leaseLost, replay } from './idempotency.js';
import type { Invocation } from './invocation.js';
import type { RunAbort } from './run-abort.js';
import { runDeferred } from './deferred-unit.js';
import { TxScope, type TxSection } from './tx-scope.js';
import { raced } from './abort-race.js';

/** Returned instead of the handler's result when the inbox says the event was handled before. */
export const DUPLICATE = Symbol('tandem.duplicate');

export interface UnitDeps {
  store: Store | undefined;
  broker: BrokerTransport;
  group?: string;
  /** Calls the handler (and checks its output). */
  handler: Step;
}

/**
 * Runs the handler as one unit, which ends at the first of: the handler settling, or the
 * run aborting (its deadline, its caller, a forced stop). A unit that ended by abort never
 * commits and never publishes; the handler may go on running, but its `ctx.tx` is closed
 * and its events are dropped.
 *
 * With a store, the inbox row (events), the handler's writes, the outbox rows and the
 * idempotency record commit together; an in-process call joins its caller's transaction as
 * a savepoint. Without one, the events the handler published are sent after it succeeds.
 *
 * The answer can come before the unit has settled (an abort answers at once, while a
 * rollback may still wait for a statement in progress); `inv.settlement` says when it has,
 * and the runtime waits for it before the run counts as finished.
 */
export function runUnitOfWork(inv: Invocation, deps: UnitDeps): Promise<unknown> {
  if (!deps.store) return runAndPublish(inv, deps);
  const joined = inv.joined;
  if (!joined)
    return answer(
      inv,
      inv.registration.options.transaction === 'deferred'
        ? runDeferred(inv, deps.store, deps, runInTransaction)
        : runInTransaction(inv, deps.store, deps),
    );
  // A call from a run whose unit of work has ended (it aborted, or returned without awaiting
  // the call) must not run on its own either: it would commit what its caller rolled back.
  const section = joined.section;
  if (!section || section.fenced || section.ended || section.scope.ended)
    return Promise.reject(callerEnded(inv, joined));
  return answer(inv, runJoined(inv, deps.store, joined, deps));
}

/**
 * Without a store: the handler, then its events, unless the run aborted first. Before its
 * commit point (the send) it rejects as soon as the run aborts, even if the handler never
 * returns; the unit has then settled, so it needs no `settlement` and no race of its own
 * around it (see `answer`). Runs with middleware or a deadline and no store come here (the
 * others take the runtime's direct path), so it is one promise, not a race plus a reaction after it.
 */
function runAndPublish(inv: Invocation, deps: UnitDeps): Promise<unknown> {
  const abort = inv.controller;
  if (abort.aborted) return Promise.reject(abort.reason);
  let started: Promise<unknown>;
  try {
    started = deps.handler(inv);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    const off = abort.onAbort(reject);
    started.then(
      (result) => {
        off();
        if (inv.pending.length === 0) return resolve(result);
        // Sending is this unit's commit: an abort before it drops the events, one after it waits for them.
        if (abort.aborted) return reject(abort.reason);
        inv.committing = true;
        deps.broker.publish(inv.pending.splice(0)).then(() => resolve(result), reject);
      },
      (error: unknown) => {
        off();
        reject(error);
      },
    );
  });
}

async function runInTransaction(inv: Invocation, store: Store, deps: UnitDeps): Promise<unknown> {
  const ctx = inv.ctx as RunContext;
  const claim = inv.idempotency;
  let publishBeforeCommit = false;
  let opened: TxScope<object> | undefined;
  return store
    .transaction(async (raw) => {
      const scope = (opened = new TxScope(raw as object, inv.contract.name));
      ctx.section = scope.root;
      try {
        if (inv.message && deps.group !== undefined && store.inbox) {
          const first = await store.inbox.record(scope.internal, deps.group, inboxIdentity(inv));
          if (!first) return DUPLICATE;
        }
        let value: unknown;
        try {
          value = await untilAborted(inv.controller, () => deps.handler(inv));
        } finally {
          // The handler is done with it: what it still sends (or calls) from here on is refused.
          scope.root.fence();
        }
        if (scope.root.hasOpenChild) throw floatingCall(inv);
        if (inv.pending.length > 0) {
          if (store.outbox) await store.outbox.append(scope.internal, inv.pending.splice(0));
          else publishBeforeCommit = true;
        }
        if (claim) {
          const kept = claim.inTx
            ? await claim.store.completeIn!(
                scope.internal,
                claim.scope,
                claim.key,
                claim.lease,
                claimOutcome(claim, value),
                claim.ttlMs,
              )
            : await claim.store.renew(claim.scope, claim.key, claim.lease, claim.leaseMs);
          if (!kept) throw leaseLost(claim);
          claim.recorded = claim.inTx;
        }
        // The commit point: an abort before it rolls back; what follows is not cut short.
        if (inv.controller.aborted) throw inv.controller.reason;
        inv.committing = true;
        // A store without an outbox cannot commit events with the handler's writes. Sending
        // them before the commit means a failed send rolls the inbox record back and the
        // message is retried; after it, a failed send would be acked as a duplicate and lost.
        if (publishBeforeCommit) await deps.broker.publish(inv.pending.splice(0));
        return value;
      } finally {
        scope.end();
      }
    })
    .catch(async (error: unknown) => {
      // Rolled back (or failed at its commit): what joined calls recorded outside it is undone.
      for (const undo of opened?.rollbacks ?? []) await undo().catch(() => undefined);
      throw error;
    });
}

/** An in-process call that joins its caller's transaction, as a section (savepoint) of it. */
async function runJoined(inv: Invocation, store: Store, caller: RunContext, deps: UnitDeps): Promise<unknown> {
  const ctx = inv.ctx as RunContext;
  let claim = inv.idempotency;
  const parent = caller.section!;
  const scope = parent.scope;
  const unfollow = inv.controller.followRun(caller.controller);
  let opened: TxSection<object> | undefined;
  try {
    return await scope.enter(parent, inv.contract.name, inv.controller, async (section) => {
      opened = section;
      ctx.section = section;
      const body = async (tx: unknown): Promise<unknown> => {
        section.bind(tx as object);
        if (inv.joinedClaim) {
          // Claimed in the savepoint: the claim commits with the call's writes, or not at all.
          const claimed = await claimIn(inv.joinedClaim, tx);
          if ('replayed' in claimed) {
            inv.replayed = true;
            section.fence();
            return replay(claimed.outcome);
          }
          claim = inv.idempotency = claimed.claim;
        }
        let value: unknown;
        try {
          value = await untilAborted(inv.controller, () => deps.handler(inv));
        } finally {
          // Whatever the handler still sends from here on would land after the savepoint ends.
          section.fence();
        }
        if (section.hasOpenChild) throw floatingCall(inv);
        const held = claim;
        if (held?.inTx) {
          const kept = await held.store.completeIn!(
            tx,
            held.scope,
            held.key,
            held.lease,
            claimOutcome(held, value),
            held.ttlMs,
          );
          if (!kept) throw leaseLost(held);
          held.recorded = true;
          // Its outcome commits with the caller's transaction: if that rolls back, a claim made
          // outside it is freed at once, not held until its lease lapses.
          scope.onRollback(() => held.store.release(held.scope, held.key, held.lease));
        }
        // Its commit point: from here its writes join the caller's (RELEASE SAVEPOINT), and
        // an abort no longer answers the caller with a failure for writes that will commit.
        if (inv.controller.aborted) throw inv.controller.reason;
        inv.committing = true;
        return value;
      };
      const value = store.nested ? await store.nested(scope.internal, body) : await body(scope.internal);
      // Its events go out with the caller's, if the caller commits.
      if (inv.pending.length > 0) caller.adopt(inv.pending.splice(0));
      return value;
    });
  } finally {
    if (opened) scope.leave(opened);
    unfollow();
  }
}

/**
 * The run's answer: the unit's outcome, or the abort reason as soon as the run aborts
 * before its commit point. `inv.settlement` follows the unit itself.
 */
function answer(inv: Invocation, work: Promise<unknown>): Promise<unknown> {
  inv.settlement = work.then(noop, noop);
  if (inv.controller.aborted && !inv.committing) return work;
  return raced(inv.controller, work, () => !inv.committing);
}

/** Runs `start` unless the run has aborted, and rejects as soon as it aborts. */
function untilAborted(abort: RunAbort, start: () => Promise<unknown>): Promise<unknown> {
  if (abort.aborted) return Promise.reject(abort.reason);
  return raced(abort, start(), () => true);
}

/**
 * What the inbox deduplicates on: CloudEvents identifies an event by source and id, so two
 * producers that happen to use one id are not taken for each other.
 */
function inboxIdentity(inv: Invocation): string {
  const source = inv.ctx.meta.event?.source;
  return source ? `${inv.message!.id} ${source}` : inv.message!.id;
}

function callerEnded(inv: Invocation, caller: RunContext): TransactionClosedError {
  return new TransactionClosedError(
    `${inv.contract.name} was called in process by ${caller.meta.name} after that run's unit of work had ended ` +
      `(its deadline passed, it was aborted, or it returned without awaiting the call); the call did not run`,
  );
}

function floatingCall(inv: Invocation): InternalError {
  return new InternalError(
    `${inv.registration.handlerName} returned while an in-process call it made was still running in its transaction; ` +
      `await every ctx.call before returning`,
  );
}

function noop(): void {}
