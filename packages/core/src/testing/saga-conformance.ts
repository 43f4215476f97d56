/**
 * The saga suite: the checkout saga's every path, a timeout across an app restart, and a
 * thousand instances driven at once with duplicated and reordered messages, on any broker
 * and any store that keeps sagas. Store and transport packages run it unchanged against
 * their real services: `runSagaConformance(harness)` in a vitest file.
 */
import { describe, expect, it } from 'vitest';
import { retryParkedSaga } from '../sagas/operator.js';
import { eventually, sleep } from './harness.js';
import { sagaLoadTests } from './saga-load-conformance.js';
import { sagaSuiteSupport, type SagaHarness } from './saga-suite-support.js';
import { CHECKOUT_ATTEMPTS, checkoutWorld } from './saga-fixture.js';

export type { SagaHarness } from './saga-suite-support.js';

/** Registers the saga suite in the calling test file. */
export function runSagaConformance(harness: SagaHarness): void {
  const support = sagaSuiteSupport(harness);
  const { timeout, start, observe, instance, settled } = support;

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

    sagaLoadTests(support);
  });
}
