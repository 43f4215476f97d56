/**
 * The store conformance suite: effectively-once delivery end to end, on the in-process
 * broker, for any Store. Every store package runs it, unchanged, against its real database:
 * `runStoreConformance(harness)` inside a vitest test file. Tests that need a piece the
 * store does not offer (an outbox, transactional side effects) are skipped for it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { outboxRelay, type OutboxRelay } from '../outbox/relay.js';
import { createApp, type App } from '../runtime/app.js';
import type { Store } from '../stores/store.js';
import type { IncomingMessage } from '../transport/broker.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { eventually, sleep } from './harness.js';
import {
  runIdempotencyConformance,
  runIdempotencyHttpConformance,
  runInboxConformance,
} from './store-records-conformance.js';
import { runGuaranteeConformance } from './store-guarantees-conformance.js';
import { runRelayConformance } from './store-relay-conformance.js';
import { storeTestContracts, uniqueSegment, type StoreHarness } from './store-harness.js';

/** Registers the conformance suite every store must pass, in the calling test file. */
export function runStoreConformance<Tx>(harness: StoreHarness<Tx>): void {
  const timeout = harness.timeoutMs ?? 60_000;
  const cleanup: Array<() => Promise<unknown>> = [];

  async function store(): Promise<Store<Tx>> {
    const s = await harness.create();
    await s.connect?.();
    cleanup.push(async () => s.close?.());
    return s;
  }
  function started(app: App): App {
    cleanup.unshift(() => app.stop());
    return app;
  }
  function relayed(relay: OutboxRelay): OutboxRelay {
    cleanup.unshift(() => relay.stop());
    return relay;
  }
  /** Every message the broker delivers on `topic`, duplicates included. */
  async function observe(broker: MemoryBroker, topic: string): Promise<IncomingMessage[]> {
    const seen: IncomingMessage[] = [];
    const transport = new MemoryTransport({ broker });
    await transport.subscribe({ topics: [topic], group: uniqueSegment('observer'), concurrency: 8 }, async (m) => {
      seen.push(m);
      return { kind: 'ack' };
    });
    cleanup.push(() => transport.close());
    return seen;
  }

  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  });

  describe(`store conformance: ${harness.name}`, () => {
    it(
      'outbox: a handler that publishes then throws leaves no row and sends nothing; a committed one is delivered',
      { timeout },
      async (t) => {
        const s = await store();
        if (!s.outbox) return t.skip();
        const { Place, Placed, service } = storeTestContracts();
        const broker = new MemoryBroker();
        const seen = await observe(broker, Placed.topic);
        const app = started(
          createApp({
            name: service,
            broker: new MemoryTransport({ broker }),
            store: s,
            relay: false,
            logger: silentLogger,
          }),
        );
        app.command(Place, async ({ id, fail }, ctx) => {
          await harness.effects?.write(ctx.tx as Tx, id);
          await ctx.publish(Placed, { id, n: 1 }, { key: id });
          if (fail) throw new Error('the handler failed after publishing');
          return { id, n: 1 };
        });
        await app.start();
        await expect(app.call(Place, { id: 'rolled-back', fail: true })).rejects.toThrow();
        await app.call(Place, { id: 'committed' });

        const reader = await s.outbox.openReader();
        await reader.balance();
        const rows = (await reader.claim(10_000)).filter((r) => r.message.topic === Placed.topic);
        await reader.close();
        expect(rows.map((r) => r.message.key)).toEqual(['committed']);
        if (harness.effects) {
          expect(await harness.effects.count('rolled-back')).toBe(0);
          expect(await harness.effects.count('committed')).toBe(1);
        }
        expect(seen).toHaveLength(0);

        const relay = relayed(outboxRelay(s.outbox, new MemoryTransport({ broker })));
        await relay.start();
        await eventually('the committed event reaches the broker', () => seen.length === 1);
        await sleep(100);
        expect(seen.map((m) => m.key)).toEqual(['committed']);
      },
    );

    it(
      'relay crash between broker confirm and mark: the event is sent twice, the side effect happens once',
      { timeout },
      async (t) => {
        const producerStore = await store();
        const consumerStore = await store();
        if (!producerStore.outbox || !consumerStore.inbox || !harness.effects) return t.skip();
        const effects = harness.effects;
        const { Place, Placed, service, consumer } = storeTestContracts();
        const broker = new MemoryBroker();
        const seen = await observe(broker, Placed.topic);
        let crashes = 0;
        const producer = started(
          createApp({
            name: service,
            broker: new MemoryTransport({ broker }),
            store: producerStore,
            logger: silentLogger,
            relay: {
              retryDelayMs: 20,
              afterConfirm: () => {
                if (crashes++ === 0) throw new Error('simulated relay crash after the broker confirmed');
              },
            },
          }),
        );
        producer.command(Place, async ({ id }, ctx) => {
          await ctx.publish(Placed, { id, n: 1 }, { key: id });
          return { id, n: 1 };
        });
        let runs = 0;
        const consumerApp = started(
          createApp({
            name: consumer,
            broker: new MemoryTransport({ broker }),
            store: consumerStore,
            relay: false,
            logger: silentLogger,
          }),
        );
        consumerApp.onEvent(Placed, async (event, ctx) => {
          runs++;
          await effects.write(ctx.tx as Tx, event.id);
        });
        await consumerApp.start();
        await producer.start();
        await producer.call(Place, { id: 'twice-sent' });
        await eventually('the broker delivered the event twice', () => seen.length === 2);
        expect(seen[0]!.id).toBe(seen[1]!.id);
        await eventually('the consumer handled it', async () => (await effects.count('twice-sent')) >= 1);
        await sleep(200);
        expect(await effects.count('twice-sent')).toBe(1);
        expect(runs).toBe(1);
      },
    );

    it(
      'consumer crash after the side effect and before the ack: redelivered, side effect once',
      { timeout },
      async (t) => {
        const producerStore = await store();
        const firstConsumerStore = await store();
        const secondConsumerStore = await store();
        if (!firstConsumerStore.inbox || !harness.effects) return t.skip();
        const effects = harness.effects;
        const { Place, Placed, service, consumer } = storeTestContracts();
        const broker = new MemoryBroker();
        const producer = started(
          createApp({
            name: service,
            broker: new MemoryTransport({ broker }),
            store: producerStore,
            logger: silentLogger,
          }),
        );
        producer.command(Place, async ({ id }, ctx) => {
          await ctx.publish(Placed, { id, n: 1 }, { key: id });
          return { id, n: 1 };
        });
        const handle = async (event: { id: string }, ctx: { tx: unknown }): Promise<void> =>
          effects.write(ctx.tx as Tx, event.id);

        const doomed = new MemoryTransport({ broker });
        let crashed = false;
        const first = started(
          createApp({
            name: consumer,
            broker: doomed,
            store: firstConsumerStore,
            relay: false,
            logger: silentLogger,
            // Outermost middleware: the unit of work below it has committed when next() resolves.
            middleware: [
              async (_inv, next) => {
                const result = await next();
                crashed = true;
                doomed.crash();
                return result;
              },
            ],
          }),
        );
        first.onEvent(Placed, handle);
        await first.start();
        await producer.start();
        await producer.call(Place, { id: 'crash-before-ack' });
        await eventually('the first consumer committed and crashed', () => crashed);
        expect(await effects.count('crash-before-ack')).toBe(1);

        let redelivered = 0;
        const second = started(
          createApp({
            name: consumer,
            broker: new MemoryTransport({ broker }),
            store: secondConsumerStore,
            relay: false,
            logger: silentLogger,
            middleware: [
              async (_inv, next) => {
                redelivered++;
                return next();
              },
            ],
          }),
        );
        second.onEvent(Placed, handle);
        await second.start();
        await eventually('the message was redelivered to the surviving consumer', () => redelivered === 1);
        await sleep(100);
        expect(await effects.count('crash-before-ack')).toBe(1);
      },
    );

    runRelayConformance({ store, relayed, observe, timeout, orderingEvents: harness.orderingEvents ?? 10_000 });
    runInboxConformance(harness, store, timeout);
    runIdempotencyConformance(harness, store, timeout);
    runIdempotencyHttpConformance(harness, store, started, timeout);
    runGuaranteeConformance({ harness, store, started, observe, timeout });
  });
}
