/**
 * The saga suite's tests of time and load: a timeout across an app restart, and many
 * instances driven at once with duplicated and reordered messages.
 */
import { expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, type EventContract } from '../contracts/contracts.js';
import { silentLogger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import { uuidv7 } from '../messages/uuid.js';
import { createApp } from '../runtime/app.js';
import { saga } from '../sagas/define.js';
import { sagaTopic } from '../sagas/messages.js';
import { eventually, sleep } from './harness.js';
import { checkoutWorld } from './saga-fixture.js';
import type { SagaSuiteSupport } from './saga-suite-support.js';
import { uniqueSegment } from './store-harness.js';

/** Registers the restart and load tests, inside the suite's describe block. */
export function sagaLoadTests({ harness, timeout, cleanup, start, observe }: SagaSuiteSupport): void {
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
}
