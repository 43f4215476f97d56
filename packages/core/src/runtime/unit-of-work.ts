import type { Store } from '../stores/store.js';
import type { BrokerTransport } from '../transport/broker.js';
import type { RunContext } from './context-factory.js';
import type { Invocation } from './invocation.js';

/** Returned instead of the handler's result when the inbox says the event was handled before. */
export const DUPLICATE = Symbol('tandem.duplicate');

/**
 * Runs the handler as one unit: with a store, inside its transaction, where the inbox
 * row (events), the handler's writes and the outbox rows commit together; without one,
 * the events the handler published are sent after it succeeds and before it is acked or
 * answered, so a handler that throws never sends anything.
 */
export function runUnitOfWork(
  inv: Invocation,
  deps: { store: Store | undefined; broker: BrokerTransport; group?: string },
): Promise<unknown> {
  if (!deps.store) return runAndPublish(inv, deps.broker);
  return runInTransaction(inv, deps.store, deps.broker, deps.group);
}

/** One `.then` rather than an async function: the path of every request without a store. */
function runAndPublish(inv: Invocation, broker: BrokerTransport): Promise<unknown> {
  return Promise.resolve(inv.registration.fn(inv.input, inv.ctx)).then((result) =>
    inv.pending.length > 0 ? broker.publish(inv.pending.splice(0)).then(() => result) : result,
  );
}

async function runInTransaction(
  inv: Invocation,
  store: Store,
  broker: BrokerTransport,
  group: string | undefined,
): Promise<unknown> {
  const ctx = inv.ctx as RunContext;
  if (inv.joined && inv.joined.tx !== undefined) {
    // An in-process sync call joins its caller's transaction instead of opening its own:
    // a second transaction would wait for a connection the caller holds (PGlite has one;
    // a pg pool can run dry under load). Its writes and events commit with the caller's.
    const tx = inv.joined.tx;
    ctx.tx = tx;
    const run = async () => inv.registration.fn(inv.input, ctx);
    const value = store.nested ? await store.nested(tx, run) : await run();
    if (inv.pending.length > 0) inv.joined.adopt(inv.pending.splice(0));
    return value;
  }
  let publishAfterCommit = false;
  const result = await store.transaction(async (tx) => {
    ctx.tx = tx;
    if (inv.message && group !== undefined && store.inbox) {
      const first = await store.inbox.record(tx, group, inv.message.id);
      if (!first) return DUPLICATE;
    }
    const value = await inv.registration.fn(inv.input, ctx);
    if (inv.pending.length > 0) {
      if (store.outbox) await store.outbox.append(tx, inv.pending.splice(0));
      else publishAfterCommit = true;
    }
    return value;
  });
  if (publishAfterCommit) await broker.publish(inv.pending.splice(0));
  return result;
}
