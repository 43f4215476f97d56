/**
 * The replay suite, for histories kept by the outbox (every broker but Kafka, whose topic
 * is its own history): past events reach only the group they are replayed to, with their
 * original ids and in order per key; the group's inbox skips what it already handled; the
 * window and the types are honoured; a dry run delivers nothing; a rate limit slows it.
 * Transport and store packages run it against their real services.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent } from '../contracts/contracts.js';
import { silentLogger } from '../log/logger.js';
import { createApp, type App } from '../runtime/app.js';
import type { AppOptions } from '../runtime/app-options.js';
import type { HandlerContext } from '../runtime/handler-context.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport } from '../transport/broker.js';
import { eventually, sleep } from './harness.js';
import { uniqueSegment } from './store-harness.js';

/** How a package plugs its broker and store into the replay suite. */
export interface ReplayHarness {
  name: string;
  /** A new transport to the same broker, not yet connected (like another process's). */
  broker(): BrokerTransport | Promise<BrokerTransport>;
  /** A store with an outbox and an inbox on the same database, not yet connected; the memory harness returns one instance. */
  store(): Store | Promise<Store>;
  /** Per-test timeout. Default 60,000. */
  timeoutMs?: number;
}

const Order = z.object({ orderId: z.string(), key: z.string(), n: z.number() });

/** One test's contracts: an order event, another event type on its own topic, and the command that publishes them. */
function world() {
  const service = uniqueSegment('rpl');
  const placed = defineEvent(`${service}.placed`, { data: Order });
  const cancelled = defineEvent(`${service}.cancelled`, { data: Order });
  const place = defineCommand(`${service}.place`, {
    input: z.object({ orders: z.array(Order), cancel: z.boolean().optional() }),
    output: z.object({}),
  });
  return { service, placed, cancelled, place, seen: `${service}-seen`, late: `${service}-late` };
}
type World = ReturnType<typeof world>;

/** What one consumer group handled: per key, the order numbers and message ids, in handling order. */
class Handled {
  readonly runs: Array<{ key: string; n: number; id: string; type: string }> = [];
  get count(): number {
    return this.runs.length;
  }
  byKey(type?: string): Record<string, Array<{ n: number; id: string }>> {
    const out: Record<string, Array<{ n: number; id: string }>> = {};
    for (const run of this.runs) if (type === undefined || run.type === type) (out[run.key] ??= []).push(run);
    return out;
  }
}

/** Registers the replay suite in the calling test file. */
export function runReplayConformance(harness: ReplayHarness): void {
  const timeout = harness.timeoutMs ?? 60_000;
  const wait = timeout - 10_000;
  const cleanup: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  });

  async function started(options: Partial<AppOptions>, setup: (app: App) => App): Promise<App> {
    const app = setup(
      createApp({ broker: await harness.broker(), store: await harness.store(), logger: silentLogger, ...options }),
    );
    await app.start();
    cleanup.unshift(() => app.stop());
    return app;
  }

  /** The producer: one command that publishes its orders (and, when asked, cancellations) through the outbox. */
  function producer(w: World): Promise<App> {
    return started({ name: `${w.service}-orders` }, (app) =>
      app.command(w.place, async ({ orders, cancel }, ctx) => {
        for (const order of orders) {
          await ctx.publish(w.placed, order, { key: order.key });
          if (cancel) await ctx.publish(w.cancelled, order, { key: order.key });
        }
        return {};
      }),
    );
  }

  /** A consumer group handling both event types, recording what it handled. */
  async function consumer(w: World, group: string): Promise<{ app: App; handled: Handled }> {
    const handled = new Handled();
    const record = (type: string) => async (data: z.output<typeof Order>, ctx: HandlerContext) => {
      handled.runs.push({ key: data.key, n: data.n, id: ctx.meta.messageId, type });
    };
    const app = await started({ name: group }, (a) =>
      a
        .onEvent(w.placed, record('placed'), { group, concurrency: 4 })
        .onEvent(w.cancelled, record('cancelled'), { group, concurrency: 4 }),
    );
    return { app, handled };
  }

  let counter = 0;
  /** Places `count` orders over `keys` keys, one command per order so they are separate transactions. */
  async function placeOrders(app: App, w: World, count: number, keys = 5, cancel = false): Promise<void> {
    for (let i = 0; i < count; i++) {
      const n = ++counter;
      await app.call(w.place, { orders: [{ orderId: `o${n}`, key: `k${n % keys}`, n }], cancel });
    }
  }

  /**
   * Publishes one more order live and waits until every group got it: whatever a replay
   * leaked to a group would have been queued before it, so counts checked after this are final.
   */
  async function settle(app: App, w: World, groups: Handled[]): Promise<void> {
    const n = ++counter;
    await app.call(w.place, { orders: [{ orderId: `o${n}`, key: 'marker', n }] });
    await eventually('every group handled the marker', () => groups.every((g) => g.runs.some((r) => r.n === n)), wait);
    await sleep(200);
  }

  /**
   * Waits until the outbox history holds `count` events of the query: a consumer may handle
   * an event before the relay has marked its row published, and only published rows are history.
   */
  async function inHistory(app: App, w: World, count: number, since: number, until?: number): Promise<void> {
    const query = { group: w.late, types: [w.placed.name], since, ...(until !== undefined ? { until } : {}) };
    await eventually(
      `the outbox history holds the ${count} published events`,
      async () => (await app.replay({ ...query, dryRun: true })).matched === count,
      wait,
    );
  }

  describe(`replay: ${harness.name}`, () => {
    it(
      'past events reach only the target group, with their ids, in order per key; a second replay is skipped by its inbox',
      { timeout },
      async () => {
        const w = world();
        const since = Date.now() - 1_000;
        const orders = await producer(w);
        const seen = await consumer(w, w.seen);
        await placeOrders(orders, w, 40);
        await eventually('the live group handled the 40 orders', () => seen.handled.count === 40, wait);

        const late = await consumer(w, w.late);
        await inHistory(orders, w, 40, since);
        const first = await orders.replay({ group: w.late, types: [w.placed.name], since });
        expect(first).toMatchObject({ group: w.late, matched: 40, delivered: 40, dryRun: false });
        await eventually('the late group handled the 40 replayed orders', () => late.handled.count === 40, wait);
        expect(late.handled.byKey()).toEqual(seen.handled.byKey());

        const second = await orders.replay({ group: w.late, types: [w.placed.name], since });
        expect(second.delivered).toBe(40);
        await settle(orders, w, [seen.handled, late.handled]);
        expect(seen.handled.count).toBe(41);
        expect(late.handled.count).toBe(41);
      },
    );

    it(
      'only the window [since, until) and only the asked types are replayed; a dry run counts and delivers nothing',
      { timeout },
      async () => {
        const w = world();
        const orders = await producer(w);
        const seen = await consumer(w, w.seen);
        await placeOrders(orders, w, 6, 3, true);
        await sleep(300);
        const since = Date.now();
        const first = counter + 1;
        await placeOrders(orders, w, 8, 3, true);
        await sleep(300);
        const until = Date.now();
        await placeOrders(orders, w, 6, 3, true);
        await eventually('the live group handled everything', () => seen.handled.count === 40, wait);
        const windowed = Array.from({ length: 8 }, (_, i) => first + i);

        const late = await consumer(w, w.late);
        await inHistory(orders, w, 8, since, until);
        const dry = await orders.replay({ group: w.late, types: [w.placed.name], since, until, dryRun: true });
        expect(dry).toMatchObject({ matched: 8, delivered: 0, dryRun: true });
        const done = await orders.replay({ group: w.late, types: [w.placed.name], since, until });
        expect(done).toMatchObject({ matched: 8, delivered: 8 });
        await settle(orders, w, [seen.handled, late.handled]);
        const replayed = late.handled.runs.filter((r) => r.key !== 'marker').map((r) => r.n);
        expect(replayed.sort((a, b) => a - b)).toEqual(windowed);
        expect(late.handled.runs.every((r) => r.type === 'placed')).toBe(true);
        expect(seen.handled.count).toBe(41);
      },
    );

    it('a rate limit paces the replay, and a group that never subscribed is refused', { timeout }, async () => {
      const w = world();
      const since = Date.now() - 1_000;
      const orders = await producer(w);
      const late = await consumer(w, w.late);
      await placeOrders(orders, w, 12);
      await eventually('the group handled the 12 orders', () => late.handled.count === 12, wait);
      await inHistory(orders, w, 12, since);
      const progress: number[] = [];
      const started = Date.now();
      const result = await orders.replay({
        group: w.late,
        types: [w.placed.name],
        since,
        ratePerSecond: 20,
        onProgress: (p) => progress.push(p.delivered),
      });
      // 12 events at 20/s in batches of 2: the last batch is due 500 ms after the first.
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(result.delivered).toBe(12);
      expect(progress).toEqual([0, 2, 4, 6, 8, 10, 12]);
      await expect(
        orders.replay({ group: `${w.service}-nobody`, types: [w.placed.name], since }),
      ).rejects.toMatchObject({ code: 'TANDEM_CONFIG' });
    });
  });
}
