/**
 * Plays a scenario against a store: a producer app (charges that call a ledger in process
 * and publish an event through the outbox), a consumer app (mail, declared concurrency 2)
 * that may crash and be replaced, a raw observer of every delivery, and a broker that
 * refuses publishes as the scenario says. Every yield point of a handler goes through
 * fast-check's scheduler, so the interleaving of concurrent runs is part of what is
 * generated (and replayed from the seed).
 */
import {
  createApp,
  defineCommand,
  defineEvent,
  MemoryBroker,
  MemoryTransport,
  service,
  silentLogger,
  type App,
  type OutgoingMessage,
  type Store,
} from '@tandem/core';
import { eventually, sleep } from '@tandem/core/testing';
import type fc from 'fast-check';
import { z } from 'zod';
import type { RunScript, Scenario } from './scenario.js';
import type { StoreUnderTest } from './stores.js';

export interface Answer {
  account: string;
  keyed: boolean;
  ok: boolean;
  value?: { account: string; run: number };
  error?: unknown;
}

export interface Observation {
  /** Runs of the charge handler started, by account. */
  runs: Map<string, number>;
  answers: Answer[];
  /** As each caller saw its in-process calls: `account:run:index` -> succeeded. */
  calleeAnswers: Map<string, boolean>;
  /** Every delivery of a charge event to the observer: `account:run`, duplicates included. */
  delivered: string[];
  mostMailAtOnce: number;
  stopMs: number[];
}

const Account = z.object({ account: z.string() });
const Charge = defineCommand('accounts.charge', {
  input: Account,
  output: z.object({ account: z.string(), run: z.number() }),
});
const Record = defineCommand('ledger.record', {
  input: z.object({ account: z.string(), run: z.number(), index: z.number() }),
  output: z.object({ ok: z.boolean() }),
});
const Charged = defineEvent('accounts.charged', { data: z.object({ account: z.string(), run: z.number() }) });

export const MAIL_CONCURRENCY = 2;
export const SHUTDOWN_TIMEOUT_MS = 300;

const DEFAULT_SCRIPT: RunScript = {
  delayBeforeWriteMs: 0,
  delayAfterWriteMs: 0,
  callees: [],
  writeDuringCalls: false,
  fail: false,
  openFirst: false,
  publishFirst: false,
};

/** Whether a run's in-process calls go out before its transaction opens, each committing on its own. */
export function callsDetached(scenario: Scenario, script: RunScript): boolean {
  return scenario.deferred && !script.openFirst;
}

/** A broker whose publishes of charge events fail in the order the scenario says. */
class RefusingTransport extends MemoryTransport {
  private next = 0;
  constructor(
    broker: MemoryBroker,
    private readonly refusals: boolean[],
  ) {
    super({ broker });
  }
  override async publish(messages: OutgoingMessage[]): Promise<void> {
    if (messages.some((m) => m.topic === Charged.topic) && this.refusals[this.next++] === true)
      throw new Error('the broker refused the publish');
    return super.publish(messages);
  }
}

export async function play(scenario: Scenario, sut: StoreUnderTest, s: fc.Scheduler): Promise<Observation> {
  const broker = new MemoryBroker();
  const seen: Observation = {
    runs: new Map(),
    answers: [],
    calleeAnswers: new Map(),
    delivered: [],
    mostMailAtOnce: 0,
    stopMs: [],
  };
  const step = (label: string, ms: number) => s.schedule(ms > 0 ? sleep(ms) : Promise.resolve(), label);

  const observer = new MemoryTransport({ broker });
  const mine = new Set(scenario.operations.map((op) => op.account));
  await observer.subscribe({ topics: [Charged.topic], group: 'observer', concurrency: 16 }, async (m) => {
    const data = JSON.parse(new TextDecoder().decode(m.body)) as { account: string; run: number };
    // Runs share the database: a relay may send again what an earlier run's relay had sent
    // and not yet marked (at least once). Only this run's accounts are this run's business.
    if (mine.has(data.account)) seen.delivered.push(`${data.account}:${data.run}`);
    return { kind: 'ack' };
  });

  const ledger = service('ledger').command(Record, async ({ account, run, index }, ctx) => {
    const callee = (scenario.scripts[account]?.[run - 1] ?? DEFAULT_SCRIPT).callees[index]!;
    await step(`ledger ${account}:${run}:${index} before`, callee.delayMs);
    await sut.write(ctx.tx, `ledger:${account}:${run}:${index}`);
    await step(`ledger ${account}:${run}:${index} after`, callee.delayMs);
    if (callee.fail) throw new Error('the ledger refused');
    return { ok: true };
  });
  const accounts = service('accounts').command(
    Charge,
    async ({ account }, ctx) => {
      const run = (seen.runs.get(account) ?? 0) + 1;
      seen.runs.set(account, run);
      const script = scenario.scripts[account]?.[run - 1] ?? DEFAULT_SCRIPT;
      const detached = callsDetached(scenario, script);
      if (scenario.deferred && !detached) await ctx.transaction();
      await step(`charge ${account}:${run} before`, script.delayBeforeWriteMs);
      const own = () => sut.write(ctx.tx, `charge:${account}:${run}`);
      // A detached run has no transaction to write on while its calls run.
      const writeDuringCalls = script.writeDuringCalls && !detached;
      const publish = () => ctx.publish(Charged, { account, run }, { key: account });
      const calls = script.callees.map((callee, index) =>
        ctx.call(
          Record,
          { account, run, index },
          callee.timeoutMs !== undefined ? { timeoutMs: callee.timeoutMs } : {},
        ),
      );
      const settled = await Promise.allSettled([...calls, ...(writeDuringCalls ? [own()] : [])]);
      settled
        .slice(0, calls.length)
        .forEach((o, index) => seen.calleeAnswers.set(`${account}:${run}:${index}`, o.status === 'fulfilled'));
      if (settled.length > calls.length && settled[calls.length]!.status === 'rejected')
        throw (settled[calls.length] as PromiseRejectedResult).reason;
      const publishFirst = detached && script.publishFirst;
      if (publishFirst) await publish();
      if (detached) await ctx.transaction();
      if (!writeDuringCalls) await own();
      if (!publishFirst) await publish();
      await step(`charge ${account}:${run} after`, script.delayAfterWriteMs);
      if (script.fail) throw new Error('the charge failed at its end');
      return { account, run };
    },
    scenario.deferred ? { transaction: 'deferred' } : {},
  );

  let relayCrashes = scenario.relayCrashes;
  const producer = createApp({
    name: 'producer',
    services: [accounts, ledger],
    store: slowOutbox(sut.create(), () => step('outbox append', scenario.outboxAppendMs)),
    broker: new RefusingTransport(broker, scenario.refusePublish),
    logger: silentLogger,
    shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
    idempotency: { leaseMs: scenario.leaseMs },
    relay: {
      retryDelayMs: 5,
      pollIntervalMs: 50,
      afterConfirm: () => {
        if (relayCrashes-- > 0) throw new Error('the relay crashed after the broker confirmed');
      },
    },
  });

  let mailRunning = 0;
  let mailDelivery = 0;
  const consumer = (): App => {
    const mail = service('mail').onEvent(
      Charged,
      async ({ account, run }, ctx) => {
        seen.mostMailAtOnce = Math.max(seen.mostMailAtOnce, ++mailRunning);
        try {
          await sleep(2);
          if (scenario.mailFailures[mailDelivery++] === true) throw new Error('the mail relay failed');
          await sut.write(ctx.tx, `mail:${account}:${run}`);
        } finally {
          mailRunning--;
        }
      },
      { concurrency: MAIL_CONCURRENCY, retry: { attempts: 20, immediateRetries: 20 } },
    );
    return createApp({
      name: 'mail',
      services: [mail],
      store: sut.create(),
      broker: new MemoryTransport({ broker }),
      relay: false,
      logger: silentLogger,
      shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
    });
  };

  let consumerApp = consumer();
  await producer.start();
  await consumerApp.start();
  const crash =
    scenario.consumerCrashAfterMs === undefined
      ? Promise.resolve()
      : sleep(scenario.consumerCrashAfterMs).then(async () => {
          (consumerApp.broker as MemoryTransport).crash();
          consumerApp = consumer();
          await consumerApp.start();
        });

  const calls = scenario.operations.map(async (op) => {
    await sleep(op.startAfterMs);
    const keyed = op.idempotencyKey !== undefined;
    const attempt = async (): Promise<boolean> => {
      try {
        const value = await producer.call(
          Charge,
          { account: op.account },
          {
            ...(op.idempotencyKey !== undefined ? { idempotencyKey: op.idempotencyKey } : {}),
            ...(op.timeoutMs !== undefined ? { timeoutMs: op.timeoutMs } : {}),
          },
        );
        seen.answers.push({ account: op.account, keyed, ok: true, value });
        return true;
      } catch (error) {
        seen.answers.push({ account: op.account, keyed, ok: false, error });
        return false;
      }
    };
    if (!(await attempt()) && op.retryAfterMs !== undefined) {
      await sleep(op.retryAfterMs);
      await attempt();
    }
  });
  await s.waitFor(Promise.all([...calls, crash]));
  // Runs whose answers came early (deadlines) may still be rolling back: let them end.
  await s.waitFor(sleep(50));

  // Every committed charge reaches the observer and the mail consumer, or the invariants say so.
  const committed = await committedCharges(seen, sut);
  await s.waitFor(
    eventually(
      'every committed charge delivered and mailed',
      async () => {
        for (const id of committed) {
          if (!seen.delivered.includes(id)) return false;
          if ((await sut.count(`mail:${id}`)) < 1) return false;
        }
        return true;
      },
      10_000,
    ).catch(() => undefined),
  );
  for (const app of [producer, consumerApp]) {
    const began = Date.now();
    await app.stop();
    seen.stopMs.push(Date.now() - began);
  }
  await observer.close();
  return seen;
}

/**
 * `store` whose outbox waits for `delay` before each append. A view, not a change to the
 * store: the memory store is shared by every run of the suite.
 */
function slowOutbox(store: Store, delay: () => Promise<unknown>): Store {
  const outbox = store.outbox;
  if (!outbox) return store;
  const slow = bound(outbox, {
    append: async (tx: unknown, messages: OutgoingMessage[]) => {
      await delay();
      return outbox.append(tx, messages);
    },
  });
  return bound(store, { outbox: slow });
}

/** A view of `target` with `overrides`; its other methods stay bound to `target`. */
function bound<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, property) {
      if (Object.hasOwn(overrides, property)) return (overrides as Record<PropertyKey, unknown>)[property];
      const value: unknown = Reflect.get(t, property, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/** `account:run` of every charge run whose write committed. */
export async function committedCharges(seen: Observation, sut: StoreUnderTest): Promise<string[]> {
  const out: string[] = [];
  for (const [account, runs] of seen.runs)
    for (let run = 1; run <= runs; run++)
      if ((await sut.count(`charge:${account}:${run}`)) > 0) out.push(`${account}:${run}`);
  return out;
}
