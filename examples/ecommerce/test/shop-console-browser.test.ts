/**
 * The shop on RabbitMQ and a PostgreSQL database of its own, with the console mounted, in
 * Chromium: orders on the event-flow graph, notifications that fail into dead letters and
 * one replayed by clicking, one order's trace across the services, an order's fulfilment
 * saga with its history, and the outbox charted over time. Skips without
 * RabbitMQ, PostgreSQL or /usr/bin/chromium (fails instead under TANDEM_REQUIRE_SERVICES=1).
 * TANDEM_CONSOLE_SCREENSHOTS=1 writes the screenshots in docs/console.md.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleApi, consolePage } from '@tandem/console';
import { NonRetryableError, silentLogger } from '@tandem/core';
import { eventually, probeTcp, serviceAvailable } from '@tandem/core/testing';
import {
  chromiumAvailable,
  installSpanRing,
  launchChromium,
  poll,
  screenshot,
  type Chromium,
} from '../../../packages/console/test/browser.js';
import { sharedBrokerUse } from '../../../packages/transport-rabbitmq/test/support/broker-lock.js';
import type { Mailer } from '../src/services/notifications.js';
import { buildShop, type Shop } from '../src/shop.js';
import { anOrder, baseOf, fulfilmentOf, getJson, placeOrder, untilShippedAndNotified } from './support.js';

// RabbitMQ's restart test stops the broker; it waits for this file, and this file for it.
sharedBrokerUse();
const run = randomBytes(3).toString('hex');
const PG_URL = process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const database = `shop_console_${run}`;

async function withDatabase(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql.replace('$db', `"${database}"`));
  } finally {
    await client.end();
  }
}

const ready =
  chromiumAvailable() &&
  (await serviceAvailable('RabbitMQ on 127.0.0.1:5672', () => probeTcp('127.0.0.1', 5672))) &&
  (await serviceAvailable('PostgreSQL at 127.0.0.1:5432', () => withDatabase('SELECT 1')));

/** A mail relay that refuses the addresses of the domains in `bouncing` until they are cleared. */
const bouncing = new Set(['bounce.test']);
const mailer: Mailer = {
  async send(to) {
    if (bouncing.has(to.slice(to.lastIndexOf('@') + 1))) throw new NonRetryableError(`mail relay refused ${to}`);
  },
};

const notesOf = async (base: string, orderId: string) =>
  (
    await getJson<{ notifications: Array<{ kind: string }> }>(`${base}/queries/notifications.list?orderId=${orderId}`)
  ).body.notifications.map((n) => n.kind);

describe.skipIf(!ready)(
  'the shop on RabbitMQ and PostgreSQL, with the console in Chromium',
  { timeout: 60_000 },
  () => {
    let tracing: ReturnType<typeof installSpanRing>;
    let shop: Shop;
    let browser: Chromium;
    let base: string;
    let console: string;

    beforeAll(async () => {
      tracing = installSpanRing();
      await withDatabase('CREATE DATABASE $db');
      const store = new URL(PG_URL);
      store.pathname = `/${database}`;
      shop = await buildShop(
        {
          TANDEM_BROKER_URL: `amqp://guest:guest@127.0.0.1:5672?prefix=shop-console-${run}`,
          TANDEM_STORE_URL: store.href,
          TANDEM_HTTP_PORT: '0',
          TANDEM_HTTP_HOST: '127.0.0.1',
        },
        {
          mailer,
          logger: silentLogger,
          mounts: [consoleApi({ spans: tracing.ring, history: { intervalMs: 500 } }), consolePage()],
        },
      );
      await shop.app.start();
      base = baseOf(shop);
      console = `${base}/_tandem/`;
      browser = await launchChromium();
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      await shop?.app.stop();
      await tracing?.uninstall();
      await withDatabase('DROP DATABASE IF EXISTS $db WITH (FORCE)').catch(() => undefined);
    }, 60_000);

    it('shows placed orders moving on the event-flow graph', async () => {
      const { page } = browser;
      await page.goto(`${console}#flow`);
      await page.locator('svg.flow g[data-node="event:orders.placed"]').waitFor();
      const placed = await Promise.all([1, 2, 3].map(() => placeOrder(base, anOrder())));
      for (const p of placed) expect(p.body.status).toBe('accepted');
      await Promise.all(placed.map((p) => untilShippedAndNotified(base, p.body.orderId, 20_000)));
      const published = page.locator(
        'svg.flow g.edge.active[data-edge="publishes|service:orders|event:orders.placed"]',
      );
      await poll(() => published.locator('text').textContent()).toMatch(/\/s$/);
      const delivered = page.locator('svg.flow g.edge.active.delivers[data-edge^="delivers|event:orders.placed|"]');
      await poll(() => delivered.count()).toBeGreaterThanOrEqual(2);
      await screenshot(page, 'flow');
      await page.goto(`${console}#services`);
      await page.locator('section[data-service="orders"] tr[data-handler="orders.place"]').waitFor();
      await screenshot(page, 'services');
    });

    it('lists the notifications that failed as dead letters, and replays one by clicking', async () => {
      const bounced = await Promise.all(
        [1, 2].map(() => placeOrder(base, anOrder({ email: `ada-${run}@bounce.test` }))),
      );
      const { page } = browser;
      await page.goto(`${console}#dead-letters`);
      const letters = page.locator('section[data-group^="notifications"] tr[data-id]', { hasText: 'orders.placed' });
      await poll(() => letters.count()).toBe(2);
      const first = letters.first();
      await first.getByRole('button', { name: 'Inspect' }).click();
      const payload = (await page.locator('pre.payload').first().textContent()) ?? '';
      const orderId = bounced.map((b) => b.body.orderId).find((id) => payload.includes(id));
      expect(orderId, 'the inspected dead letter is one of the bounced orders').toBeDefined();
      expect(await page.locator('pre.error-text').first().textContent()).toContain('mail relay refused');
      await screenshot(page, 'dead-letters');
      expect(await notesOf(base, orderId!)).not.toContain('order-confirmed');
      bouncing.clear();
      await first.getByRole('button', { name: 'Replay' }).click();
      await page.locator('#confirm-ok').click();
      await poll(() => page.locator('#dead-letter-outcome').textContent()).toMatch(/^replayed 1 of 1/);
      await eventually(
        'the replayed notification sent',
        async () => (await notesOf(base, orderId!)).includes('order-confirmed'),
        20_000,
      );
      await poll(() => letters.count()).toBe(1);
    });

    it("shows one order's trace across the services as a waterfall", async () => {
      const placed = await placeOrder(base, anOrder());
      await untilShippedAndNotified(base, placed.body.orderId, 20_000);
      const { page } = browser;
      await page.goto(`${console}#traces`);
      await page.locator('tr[data-trace]', { hasText: 'POST /commands/orders.place' }).first().click();
      const spans = page.locator('#trace-detail g.span');
      await poll(() => spans.count()).toBeGreaterThanOrEqual(4);
      const services = new Set(await spans.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-service'))));
      expect([...services]).toEqual(expect.arrayContaining(['orders', 'notifications', 'shipping']));
      await screenshot(page, 'trace');
    });

    it("shows an order's fulfilment saga with its history", async () => {
      const placed = await placeOrder(base, anOrder());
      const orderId = placed.body.orderId;
      await untilShippedAndNotified(base, orderId, 20_000);
      const { page } = browser;
      await page.goto(`${console}#sagas`);
      const counts = page.locator('#saga-counts tr[data-saga="orders.fulfilment"]');
      await counts.waitFor();
      const row = page.locator(`#saga-list tr[data-saga-id="${orderId}"]`);
      await row.click();
      const detail = page.locator(`#saga-detail section[data-instance="orders.fulfilment|${orderId}"]`);
      await poll(() => detail.locator('tr.saga-step').count()).toBeGreaterThanOrEqual(2);
      expect(await detail.locator('pre.saga-state').textContent()).toContain(orderId);
      expect(await row.locator('td').nth(2).textContent()).toBe((await fulfilmentOf(shop, orderId))?.status);
      await screenshot(page, 'sagas');
    });

    it("charts the outbox and each consumer group's lag on RabbitMQ over time", async () => {
      const { page } = browser;
      await page.goto(`${console}#health`);
      const outbox = page.locator('figure[data-chart="outbox"]');
      await poll(async () => Number(await outbox.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
      await poll(() => outbox.locator('[data-series="waiting"]').textContent()).toMatch(/^waiting: \d+$/);
      // RabbitMQ counts what waits in each group's queue and delay queues: the lag chart is drawn.
      const lag = page.locator('figure[data-chart="lag"]');
      await poll(async () => Number(await lag.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
      expect(await lag.isHidden()).toBe(false);
      await poll(() => lag.locator('[data-series="notifications"]').textContent()).toMatch(/^notifications: \d+$/);
      expect(await page.locator('#lag-history-note').textContent()).not.toContain('does not count');
    });
  },
);
