/**
 * What must hold when runs overlap, outlive their deadlines or crash mid-way, for every
 * store: each test here failed on a Tandem that got it wrong (see docs/reliability.md).
 */
import { expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent } from '../contracts/contracts.js';
import { IdempotencyInFlightError, TimeoutError } from '../errors/errors.js';
import { silentLogger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import { Header } from '../messages/headers.js';
import { createApp, type App } from '../runtime/app.js';
import type { Store } from '../stores/store.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { eventually, sleep } from './harness.js';
import { uniqueSegment, type StoreHarness } from './store-harness.js';

export interface GuaranteeDeps<Tx> {
  harness: StoreHarness<Tx>;
  store(): Promise<Store<Tx>>;
  started(app: App): App;
  observe(broker: MemoryBroker, topic: string): Promise<IncomingMessage[]>;
  timeout: number;
}

function contracts() {
  const svc = uniqueSegment('guarantee');
  const input = z.object({ id: z.string() });
  return {
    service: svc,
    Charge: defineCommand(`${svc}.charge`, { input, output: z.object({ id: z.string(), run: z.number() }) }),
    Write: defineCommand(`${svc}.write`, {
      input: z.object({ id: z.string(), fail: z.boolean(), delayMs: z.number() }),
      output: z.object({ id: z.string() }),
    }),
    Charged: defineEvent(`${svc}.charged`, { data: input }),
  };
}

/** A transport on `broker` whose publishes fail while `refuse` says so. */
class RefusingTransport extends MemoryTransport {
  constructor(
    broker: MemoryBroker,
    private readonly refuse: (messages: OutgoingMessage[]) => boolean,
  ) {
    super({ broker });
  }

  override async publish(messages: OutgoingMessage[]): Promise<void> {
    if (this.refuse(messages)) throw new Error('the broker refused the publish');
    return super.publish(messages);
  }
}

export function runGuaranteeConformance<Tx>(deps: GuaranteeDeps<Tx>): void {
  const { harness, store, started, observe, timeout } = deps;

  it(
    'deadline: a command that outlives it commits nothing and publishes nothing; one Idempotency-Key, one charge',
    { timeout },
    async (t) => {
      if (!harness.effects) return t.skip();
      const effects = harness.effects;
      const s = await store();
      const { service, Charge, Charged } = contracts();
      const broker = new MemoryBroker();
      const seen = await observe(broker, Charged.topic);
      const app = started(
        createApp({ name: service, store: s, broker: new MemoryTransport({ broker }), logger: silentLogger }),
      );
      let runs = 0;
      let lateWrite: unknown = 'not attempted';
      app.command(
        Charge,
        async ({ id }, ctx) => {
          const run = ++runs;
          // The first run ignores its signal and goes on past its deadline, as a slow query would.
          if (run === 1) await sleep(400);
          try {
            await effects.write(ctx.tx as Tx, id);
            if (run === 1) lateWrite = 'sent';
          } catch (error) {
            if (run === 1) lateWrite = error;
            throw error;
          }
          await ctx.publish(Charged, { id }, { key: id });
          return { id, run };
        },
        { timeoutMs: 150 },
      );
      await app.start();
      await expect(app.call(Charge, { id: 'c1' }, { idempotencyKey: 'k1' })).rejects.toBeInstanceOf(TimeoutError);
      await eventually('the first run finished its late work', () => lateWrite !== 'not attempted');
      await sleep(200);
      expect((lateWrite as Error).name).toBe('TransactionClosedError');
      expect(await effects.count('c1')).toBe(0);
      expect(seen).toHaveLength(0);

      // The caller retries with the same key, as an HTTP client does after a 504.
      expect(await app.call(Charge, { id: 'c1' }, { idempotencyKey: 'k1' })).toEqual({ id: 'c1', run: 2 });
      expect(await app.call(Charge, { id: 'c1' }, { idempotencyKey: 'k1' })).toEqual({ id: 'c1', run: 2 });
      expect(runs).toBe(2);
      expect(await effects.count('c1')).toBe(1);
      await eventually('the charge event', () => seen.length >= 1);
      await sleep(100);
      expect(seen).toHaveLength(1);
    },
  );

  it(
    'joined calls: concurrent in-process calls in one transaction, one fails, the other and the caller commit',
    { timeout },
    async (t) => {
      if (!harness.effects) return t.skip();
      const effects = harness.effects;
      const s = await store();
      const { service, Charge, Write } = contracts();
      const app = started(createApp({ name: service, store: s, logger: silentLogger }));
      app.command(Write, async ({ id, fail, delayMs }, ctx) => {
        await sleep(delayMs);
        await effects.write(ctx.tx as Tx, id);
        await sleep(delayMs);
        if (fail) throw new Error(`callee ${id} failed after writing`);
        return { id };
      });
      app.command(Charge, async ({ id }, ctx) => {
        const outcomes = await Promise.allSettled([
          ctx.call(Write, { id: `${id}-fails`, fail: true, delayMs: 30 }),
          ctx.call(Write, { id: `${id}-ok`, fail: false, delayMs: 10 }),
          // The caller's own write while its callees run.
          effects.write(ctx.tx as Tx, `${id}-caller`),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
        return { id, run: 1 };
      });
      await app.start();
      await app.call(Charge, { id: 'j' });
      expect(await effects.count('j-fails')).toBe(0);
      expect(await effects.count('j-ok')).toBe(1);
      expect(await effects.count('j-caller')).toBe(1);
    },
  );

  it(
    'idempotency lease: a command running longer than its lease is not run again by a retry meanwhile',
    { timeout },
    async (t) => {
      const s = await store();
      if (!s.idempotency) return t.skip();
      const { service, Charge } = contracts();
      const app = started(createApp({ name: service, store: s, logger: silentLogger, idempotency: { leaseMs: 300 } }));
      let runs = 0;
      app.command(Charge, async ({ id }) => {
        const run = ++runs;
        await sleep(1_200);
        return { id, run };
      });
      await app.start();
      const first = app.call(Charge, { id: 'slow' }, { idempotencyKey: 'lease' });
      await sleep(800);
      // In flight, or (a store with one connection, like PGlite, queues the lookup behind the
      // first run's transaction) the first run's outcome: never a second run.
      const retry = await app
        .call(Charge, { id: 'slow' }, { idempotencyKey: 'lease' })
        .catch((error: unknown) => error);
      if (retry instanceof Error) expect(retry).toBeInstanceOf(IdempotencyInFlightError);
      else expect(retry).toEqual({ id: 'slow', run: 1 });
      expect(await first).toEqual({ id: 'slow', run: 1 });
      expect(await app.call(Charge, { id: 'slow' }, { idempotencyKey: 'lease' })).toEqual({ id: 'slow', run: 1 });
      expect(runs).toBe(1);
    },
  );

  it(
    "idempotency lease: a stall longer than the lease between a run's commit and its key's completion does not free the key",
    { timeout },
    async (t) => {
      const s = await store();
      if (!s.idempotency) return t.skip();
      const { service, Charge } = contracts();
      const records = s.idempotency;
      const leaseMs = 150;
      // The whole process stalls (a long GC pause, a loaded machine) just before the outcome
      // is recorded: no timer runs, so nothing renews the lease meanwhile.
      const stalling: Store<Tx> = {
        ...s,
        name: s.name,
        transaction: (fn) => s.transaction(fn),
        ...(s.nested ? { nested: (tx, fn) => s.nested!(tx, fn) } : {}),
        idempotency: {
          begin: (...a) => records.begin(...a),
          renew: (...a) => records.renew(...a),
          ...(records.completeIn ? { completeIn: (...a) => records.completeIn!(...a) } : {}),
          ...(records.beginIn ? { beginIn: (...a) => records.beginIn!(...a) } : {}),
          release: (...a) => records.release(...a),
          complete: (...a) => {
            const until = Date.now() + leaseMs * 3;
            while (Date.now() < until);
            return records.complete(...a);
          },
        },
      };
      const app = started(
        createApp({ name: service, store: stalling, logger: silentLogger, idempotency: { leaseMs } }),
      );
      let runs = 0;
      app.command(Charge, async ({ id }) => ({ id, run: ++runs }));
      await app.start();
      expect(await app.call(Charge, { id: 'stall' }, { idempotencyKey: 'stall' })).toEqual({ id: 'stall', run: 1 });
      expect(await app.call(Charge, { id: 'stall' }, { idempotencyKey: 'stall' })).toEqual({ id: 'stall', run: 1 });
      expect(runs).toBe(1);
    },
  );

  it(
    "idempotency outcome in the transaction: a crash between the handler's commit and the key's completion is replayed, not run again",
    { timeout },
    async (t) => {
      const s = await store();
      // Stores whose idempotency records live in the handler's own database (those with an
      // outbox, or with completeIn) must keep this; Redis cannot (see docs/reliability.md).
      if (!s.idempotency || !(s.idempotency.completeIn || s.outbox) || !harness.effects) return t.skip();
      const effects = harness.effects;
      const { service, Charge } = contracts();
      let runs = 0;
      const charge = async ({ id }: { id: string }, ctx: { tx: unknown }) => {
        const run = ++runs;
        await effects.write(ctx.tx as Tx, id);
        return { id, run };
      };
      // The first instance "dies" right after its commit: nothing it would do afterwards happens.
      const records = s.idempotency;
      const crashing: Store<Tx> = {
        ...s,
        name: s.name,
        transaction: (fn) => s.transaction(fn),
        ...(s.nested ? { nested: (tx, fn) => s.nested!(tx, fn) } : {}),
        idempotency: {
          begin: (...a) => records.begin(...a),
          renew: (...a) => records.renew(...a),
          ...(records.completeIn ? { completeIn: (...a) => records.completeIn!(...a) } : {}),
          release: (...a) => records.release(...a),
          complete: async () => {
            throw new Error('the process died after the commit');
          },
        },
      };
      const first = started(
        createApp({ name: service, store: crashing, logger: silentLogger, idempotency: { leaseMs: 200 } }),
      );
      first.command(Charge, charge);
      await first.start();
      expect(await first.call(Charge, { id: 'once' }, { idempotencyKey: 'crash' })).toEqual({ id: 'once', run: 1 });
      await sleep(500);
      const second = started(createApp({ name: service, store: await store(), logger: silentLogger }));
      second.command(Charge, charge);
      await second.start();
      expect(await second.call(Charge, { id: 'once' }, { idempotencyKey: 'crash' })).toEqual({ id: 'once', run: 1 });
      expect(runs).toBe(1);
      expect(await effects.count('once')).toBe(1);
    },
  );

  it(
    'inbox without an outbox: when sending the handler’s events fails, the message is retried and they are delivered',
    { timeout },
    async (t) => {
      const s = await store();
      if (s.outbox || !s.inbox) return t.skip();
      const { service, Charged } = contracts();
      const Shipped = defineEvent(`${service}.shipped`, { data: z.object({ id: z.string() }) });
      const broker = new MemoryBroker();
      const seen = await observe(broker, Shipped.topic);
      let refusals = 1;
      const transport = new RefusingTransport(broker, (messages) => {
        if (!messages.some((m) => m.topic === Shipped.topic) || refusals === 0) return false;
        refusals--;
        return true;
      });
      let runs = 0;
      const app = started(createApp({ name: service, store: s, broker: transport, logger: silentLogger }));
      app.onEvent(Charged, async ({ id }, ctx) => {
        runs++;
        await ctx.publish(Shipped, { id }, { key: id });
      });
      await app.start();
      await app.publish(Charged, { id: 'lost?' }, { key: 'lost?' });
      await eventually('the event published by the handler', () => seen.length >= 1);
      expect(runs).toBe(2);
      expect(seen.map((m) => m.key)).toEqual(['lost?']);
    },
  );

  it('inbox identity: events from two sources that share an id are both handled', { timeout }, async (t) => {
    const s = await store();
    if (!s.inbox) return t.skip();
    const { service, Charged } = contracts();
    const broker = new MemoryBroker();
    const transport = new MemoryTransport({ broker });
    const app = started(createApp({ name: service, store: s, broker: transport, logger: silentLogger }));
    const handled: string[] = [];
    app.onEvent(Charged, async ({ id }, ctx) => void handled.push(`${ctx.meta.event?.source}:${id}`));
    await app.start();
    // One CloudEvents id from two producers: not a duplicate, since an event's identity is source + id.
    const id = uniqueSegment('shared-id');
    const messages = ['billing', 'legacy-billing'].map((source) => {
      const message = encodeEvent(Charged, { id: source }, { source, key: source });
      message.headers[Header.id] = id;
      return message;
    });
    await transport.publish(messages);
    await eventually('both events handled', () => handled.length >= 2);
    expect(handled.sort()).toEqual(['billing:billing', 'legacy-billing:legacy-billing']);
  });
}
