/**
 * The saga suite: the checkout saga's every path, a timeout across an app restart, and a
 * thousand instances driven at once with duplicated and reordered messages, on any broker
 * and any store that keeps sagas. Store and transport packages run it unchanged against
 * their real services: `runSagaConformance(harness)` in a vitest file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, type EventContract } from '../contracts/contracts.js';
import { silentLogger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import { uuidv7 } from '../messages/uuid.js';
import { createApp, type App } from '../runtime/app.js';
import { saga } from '../sagas/define.js';
import { sagaTopic } from '../sagas/messages.js';
import { retryParkedSaga } from '../sagas/operator.js';
import type { SagaInstance } from '../sagas/saga-store.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport, IncomingMessage } from '../transport/broker.js';
import { eventually, sleep } from './harness.js';
import { CHECKOUT_ATTEMPTS, checkoutWorld, type CheckoutWorld } from './saga-fixture.js';
import { uniqueSegment } from './store-harness.js';

/** How a package plugs its broker and store into the saga suite. */
export interface SagaHarness {
  name: string;
  /** A new transport to the same broker, not yet connected (like another process's). */
  broker(): BrokerTransport | Promise<BrokerTransport>;
  /** A store on the same database, not yet connected; the memory harness returns one instance. */
  store(): Store | Promise<Store>;
  /** Called with the topics a test uses before anything subscribes (Kafka creates them). */
  prepareTopics?(topics: string[]): Promise<void>;
  /** Instances in the concurrency test. Default 1,000. */
  instances?: number;
  /** Per-test timeout. Default 60,000. */
  timeoutMs?: number;
  /**
   * The store runs one transaction at a time (PGlite): a command called in process holds
   * it, so no timeout can fire while such a command runs, and the test of that is skipped.
   */
  oneTransactionAtATime?: boolean;
}

/** Registers the saga suite in the calling test file. */
export function runSagaConformance(harness: SagaHarness): void {
  const timeout = harness.timeoutMs ?? 60_000;
  const cleanup: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  });

  function topicsOf(world: CheckoutWorld): string[] {
    const { Placed, Delivered, ShipmentFailed, Confirmed, Cancelled } = world.contracts;
    const own = sagaTopic(world.checkout.name);
    return [Placed, Delivered, ShipmentFailed, Confirmed, Cancelled].map((e) => e.topic).concat(own, `${own}.commands`);
  }

  async function start(
    world: CheckoutWorld,
    extra: Parameters<typeof createApp>[0] = {},
  ): Promise<{ app: App; store: Store }> {
    await harness.prepareTopics?.(topicsOf(world));
    const store = await harness.store();
    const app = createApp({
      name: world.prefix,
      services: [...world.services, world.checkout],
      broker: await harness.broker(),
      store,
      logger: silentLogger,
      sagaClock: { pollMs: 50 },
      ...extra,
    });
    await app.start();
    cleanup.unshift(() => app.stop());
    return { app, store };
  }

  /** Everything published on `topic`, seen by a group of its own. */
  async function observe(topic: string): Promise<IncomingMessage[]> {
    const seen: IncomingMessage[] = [];
    const transport = await harness.broker();
    await transport.connect();
    const subscription = await transport.subscribe(
      { topics: [topic], group: uniqueSegment('observer'), concurrency: 8 },
      async (message) => {
        seen.push(message);
        return { kind: 'ack' };
      },
    );
    await subscription.ready;
    cleanup.push(() => transport.close());
    return seen;
  }

  async function instance(store: Store, world: CheckoutWorld, id: string): Promise<SagaInstance | undefined> {
    return store.sagas!.get(world.checkout.name, id);
  }

  async function settled(store: Store, world: CheckoutWorld, id: string, status: SagaInstance['status']) {
    await eventually(
      `checkout ${id} to be ${status}`,
      async () => (await instance(store, world, id))?.status === status,
      timeout - 5_000,
    );
    return (await instance(store, world, id))!;
  }

  describe(`sagas: ${harness.name}`, () => {
    it(
      'happy path: reserves, authorizes, confirms, completes on delivery, and undoes nothing',
      { timeout },
      async () => {
        const world = checkoutWorld();
        const { app, store } = await start(world);
        const confirmed = await observe(world.contracts.Confirmed.topic);
        await app.publish(world.contracts.Placed, { orderId: 'o1', amount: 40 }, { key: 'o1' });
        await eventually('the order to be confirmed', () => confirmed.length === 1, timeout - 5_000);
        await app.publish(world.contracts.Delivered, { orderId: 'o1' }, { key: 'o1' });
        const done = await settled(store, world, 'o1', 'completed');
        expect(done.state).toEqual({ orderId: 'o1', amount: 40, stage: 'shipping', paymentId: 'pay-o1' });
        expect(world.stock.get('o1')).toBe('reserved');
        expect(world.payments.get('o1')).toBe('authorized');
        expect(done.data.history.map((h) => h.input)).toEqual([
          world.contracts.Placed.name,
          `reply:${world.contracts.Reserve.name}`,
          `reply:${world.contracts.Authorize.name}`,
          world.contracts.Delivered.name,
        ]);
        expect(done.dueAt).toBeUndefined();
        expect(world.runs.filter((r) => r.command === 'release' || r.command === 'void')).toEqual([]);
      },
    );

    it('a declined payment releases the stock and tells the customer, newest undo first', { timeout }, async () => {
      const world = checkoutWorld();
      world.paymentMode = 'decline';
      const { app, store } = await start(world);
      const cancelled = await observe(world.contracts.Cancelled.topic);
      await app.publish(world.contracts.Placed, { orderId: 'o2', amount: 10 }, { key: 'o2' });
      const done = await settled(store, world, 'o2', 'compensated');
      expect(done.data.reason).toMatch(/payment failed: card declined/);
      expect(world.stock.get('o2')).toBe('released');
      expect(world.payments.has('o2')).toBe(false);
      await eventually('the customer to be told', () => cancelled.length === 1, 10_000);
      // The release ran before the customer was told: the undo declared first runs last.
      const releaseAt = done.data.history.findIndex(
        (h) => h.note === `compensation ${world.contracts.Release.name} done`,
      );
      expect(releaseAt).toBeGreaterThan(0);
      expect(world.runs.filter((r) => r.command === 'void')).toEqual([]);
    });

    it.skipIf(harness.oneTransactionAtATime)(
      'a payment that outlives the saga timeout: stock released at the timeout, the late authorization voided',
      { timeout },
      async () => {
        const world = checkoutWorld({ paymentTimeoutMs: 300, slowPaymentMs: 2_000 });
        world.paymentMode = 'slow';
        const { app, store } = await start(world);
        await app.publish(world.contracts.Placed, { orderId: 'o3', amount: 5 }, { key: 'o3' });
        await eventually(
          'the stock to be released by the timeout',
          () => world.stock.get('o3') === 'released',
          timeout - 5_000,
        );
        expect(world.payments.get('o3')).not.toBe('voided');
        const done = await eventually(
          'the late authorization to be voided',
          () => world.payments.get('o3') === 'voided',
          timeout - 5_000,
        ).then(() => settled(store, world, 'o3', 'compensated'));
        expect(done.data.reason).toBe('payment timed out');
        expect(done.data.history.some((h) => h.input === 'timeout:payment')).toBe(true);
      },
    );

    it('a failed shipment voids the payment, releases the stock and tells the customer', { timeout }, async () => {
      const world = checkoutWorld();
      const { app, store } = await start(world);
      const confirmed = await observe(world.contracts.Confirmed.topic);
      const cancelled = await observe(world.contracts.Cancelled.topic);
      await app.publish(world.contracts.Placed, { orderId: 'o4', amount: 7 }, { key: 'o4' });
      await eventually('the order to be confirmed', () => confirmed.length === 1, timeout - 5_000);
      await app.publish(world.contracts.ShipmentFailed, { orderId: 'o4' }, { key: 'o4' });
      const done = await settled(store, world, 'o4', 'compensated');
      expect(done.data.reason).toBe('shipment failed');
      expect(world.payments.get('o4')).toBe('voided');
      expect(world.stock.get('o4')).toBe('released');
      await eventually('the customer to be told', () => cancelled.length === 1, 10_000);
      const order = world.runs.filter((r) => r.command === 'void' || r.command === 'release').map((r) => r.command);
      expect(order).toEqual(['void', 'release']);
    });

    it('a compensation that keeps failing parks the instance; an operator retry finishes it', { timeout }, async () => {
      const world = checkoutWorld();
      world.paymentMode = 'decline';
      world.releaseMode = 'fail';
      const { app, store } = await start(world);
      await app.publish(world.contracts.Placed, { orderId: 'o5', amount: 3 }, { key: 'o5' });
      const parked = await settled(store, world, 'o5', 'parked');
      expect(parked.data.error).toMatch(/compensation .*release failed: stock service is down/);
      expect(world.stock.get('o5')).toBe('reserved');
      // The saga's attempts, then parked: not retried forever.
      expect(world.runs.filter((r) => r.command === 'release')).toHaveLength(CHECKOUT_ATTEMPTS);
      world.releaseMode = 'ok';
      if (!store.outbox) return;
      const retried = await retryParkedSaga(store, world.checkout.name, 'o5');
      expect(retried.status).toBe('compensating');
      await settled(store, world, 'o5', 'compensated');
      expect(world.stock.get('o5')).toBe('released');
      await expect(retryParkedSaga(store, world.checkout.name, 'o5')).rejects.toThrow(/compensated, not parked/);
    });

    it(
      'late and duplicate messages for an ended instance are acknowledged and recorded, and change nothing',
      { timeout },
      async () => {
        const world = checkoutWorld();
        const { app, store } = await start(world);
        const confirmed = await observe(world.contracts.Confirmed.topic);
        await app.publish(world.contracts.Placed, { orderId: 'o6', amount: 1 }, { key: 'o6' });
        await eventually('confirmed', () => confirmed.length === 1, timeout - 5_000);
        await app.publish(world.contracts.Delivered, { orderId: 'o6' }, { key: 'o6' });
        const done = await settled(store, world, 'o6', 'completed');
        const runs = world.runs.length;
        await app.publish(world.contracts.ShipmentFailed, { orderId: 'o6' }, { key: 'o6' });
        await app.publish(world.contracts.Placed, { orderId: 'o6', amount: 1 }, { key: 'o6' });
        await eventually(
          'both to be recorded',
          async () => (await instance(store, world, 'o6'))!.version === done.version + 2,
          timeout - 5_000,
        );
        const after = (await instance(store, world, 'o6'))!;
        expect(after.status).toBe('completed');
        expect(after.state).toEqual(done.state);
        expect(after.data.history.slice(-2).map((h) => h.note)).toEqual([
          'ignored: the instance is completed',
          'ignored: the instance is completed',
        ]);
        await sleep(200);
        expect(world.runs.length).toBe(runs);
        expect(confirmed.length).toBe(1);
      },
    );

    it(
      'a timeout scheduled before the app stopped fires after a new app starts on the same store',
      { timeout },
      async () => {
        const p = uniqueSegment('tmo');
        const Opened = defineEvent(`${p}.opened`, { data: z.object({ id: z.string() }) });
        const Expired = defineEvent(`${p}.expired`, { data: z.object({ id: z.string() }) });
        const expiry = saga(`${p}.expiry`, { state: z.object({ id: z.string() }) })
          .startedBy(
            Opened,
            (e) => e.id,
            (e, s) => void s.set({ id: e.id }).schedule('expire', 1_500),
          )
          .onTimeout('expire', (_t, s) => void s.publish(Expired, { id: s.id }, { key: s.id }).complete());
        const topics = [Opened.topic, Expired.topic, sagaTopic(expiry.name)];
        await harness.prepareTopics?.(topics);
        const expired = await observe(Expired.topic);
        const boot = async () => {
          const store = await harness.store();
          const app = createApp({
            name: p,
            services: [expiry],
            broker: await harness.broker(),
            store,
            logger: silentLogger,
            sagaClock: { pollMs: 50 },
          });
          await app.start();
          return { app, store };
        };
        const first = await boot();
        await first.app.publish(Opened, { id: 't1' }, { key: 't1' });
        await eventually(
          'the instance to exist',
          async () => (await first.store.sagas!.get(expiry.name, 't1')) !== undefined,
          20_000,
        );
        await first.app.stop();
        await sleep(1_800);
        expect(expired).toHaveLength(0);
        const second = await boot();
        cleanup.unshift(() => second.app.stop());
        await eventually('the timeout to fire in the new app', () => expired.length === 1, timeout - 10_000);
        const done = await second.store.sagas!.get(expiry.name, 't1');
        expect(done?.status).toBe('completed');
      },
    );

    it(
      `${harness.instances ?? 1000} instances at once, with duplicated and reordered messages, end as a sequential run would`,
      { timeout: Math.max(timeout, 180_000) },
      async () => {
        const n = harness.instances ?? 1000;
        const world = checkoutWorld({ paymentTimeoutMs: 120_000 });
        const { app, store } = await start(world, { concurrency: 64 });
        const transport = await harness.broker();
        await transport.connect();
        cleanup.push(() => transport.close());
        const confirmed = await observe(world.contracts.Confirmed.topic);
        const { Placed, Delivered, ShipmentFailed } = world.contracts;
        const ids = Array.from({ length: n }, (_, i) => `c${i}`);
        const fails = (i: number) => i % 5 === 0;
        const message = (contract: EventContract, data: object, key: string, id = uuidv7()) =>
          encodeEvent(contract, data, { id, key, source: 'saga-suite' });
        // A fifth of them have a Delivered that overtakes their Placed (it waits for the instance).
        const early = ids.filter((_, i) => !fails(i) && i % 3 === 0);
        await transport.publish(early.map((id) => message(Delivered, { orderId: id }, id)));
        // Every Placed twice with one id (a broker redelivery), some also under a new id (a producer's resend).
        const placed = ids.map((id, i) => message(Placed, { orderId: id, amount: i }, id));
        await transport.publish([
          ...placed,
          ...placed.slice(0, n / 2),
          ...ids.filter((_, i) => i % 7 === 0).map((id, i) => message(Placed, { orderId: id, amount: i }, id)),
        ]);
        await eventually(
          'every order to be confirmed',
          () => new Set(confirmed.map((m) => m.key)).size === n,
          Math.max(timeout, 180_000) - 30_000,
          100,
        );
        const late = ids.filter((id, i) => !fails(i) && !early.includes(id));
        const delivered = late.map((id) => message(Delivered, { orderId: id }, id));
        const failed = ids.filter((_, i) => fails(i)).map((id) => message(ShipmentFailed, { orderId: id }, id));
        await transport.publish([...delivered, ...failed, ...delivered.slice(0, 50), ...failed.slice(0, 50)]);
        await eventually(
          'every instance to end',
          async () => {
            const counts = await store.sagas!.counts();
            const ended = counts.filter(
              (c) => c.saga === world.checkout.name && (c.status === 'completed' || c.status === 'compensated'),
            );
            return ended.reduce((sum, c) => sum + c.count, 0) === n;
          },
          Math.max(timeout, 180_000) - 30_000,
          200,
        );
        const all = await store.sagas!.list({ saga: world.checkout.name, limit: n + 10 });
        expect(all).toHaveLength(n);
        for (const [i, id] of ids.entries()) {
          const one = all.find((s) => s.id === id)!;
          if (fails(i)) {
            expect({ id, status: one.status, stock: world.stock.get(id), paid: world.payments.get(id) }).toEqual({
              id,
              status: 'compensated',
              stock: 'released',
              paid: 'voided',
            });
          } else {
            expect({ id, status: one.status, stock: world.stock.get(id), paid: world.payments.get(id) }).toEqual({
              id,
              status: 'completed',
              stock: 'reserved',
              paid: 'authorized',
            });
          }
          expect(one.state).toMatchObject({ orderId: id, amount: i, stage: 'shipping', paymentId: `pay-${id}` });
        }
        const dead = await app.broker.deadLetters?.list(world.checkout.name, { limit: 10 });
        expect(dead ?? []).toEqual([]);
      },
    );
  });
}
