/**
 * The analytics service joins a shop that has been taking orders without it, and learns
 * the past by replay: its revenue per hour and top SKUs then equal what SQL computes from
 * the orders table, and a second replay of the same window changes nothing (its inbox
 * skips every event it already handled). On the embedded defaults and, when they are up,
 * on RabbitMQ and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '@tandem/core';
import { eventually, probeTcp, serviceAvailable } from '@tandem/core/testing';
import { sharedBrokerUse } from '../../../packages/transport-rabbitmq/test/support/broker-lock.js';
import { ALL_SERVICES, buildShop, type Shop } from '../src/shop.js';
import {
  analyticsOf,
  ordersCounted,
  placeRandomOrders,
  randomOrder,
  revenueFromOrders,
  steppingClock,
  topSkusFromOrders,
} from './analytics-support.js';
import { baseOf, placeOrder, rowsOf } from './support.js';

const run = randomBytes(3).toString('hex');
const PG_URL = process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const HOUR = 60 * 60_000;
const ORDERS = 40;
// RabbitMQ's restart test stops the broker; it waits for this file, and this file for it.
sharedBrokerUse();

interface Setup {
  /** The broker for each start of the shop; the in-process one does not outlive the first. */
  broker(start: 'before' | 'after'): string;
  store: string;
  cleanup(): Promise<void>;
}

/** A database of its own: the shop's tables have fixed names, and other suites share the server. */
async function withDatabase(name: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql.replace('$db', `"${name}"`));
  } finally {
    await client.end();
  }
}

const setups: Array<{ name: string; setup: () => Promise<Setup | undefined> }> = [
  {
    name: 'the embedded defaults (in-process broker, PGlite)',
    setup: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tandem-shop-analytics-'));
      return {
        broker: (start) => `memory://analytics-${run}-${start}`,
        store: `pglite://${dir}`,
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'RabbitMQ and PostgreSQL',
    setup: async () => {
      const rabbit = await serviceAvailable('RabbitMQ on 127.0.0.1:5672', () => probeTcp('127.0.0.1', 5672));
      const postgres = await serviceAvailable('PostgreSQL at 127.0.0.1:5432', () => withDatabase('test', 'SELECT 1'));
      if (!rabbit || !postgres) return undefined;
      const database = `shop_analytics_${run}`;
      await withDatabase(database, 'CREATE DATABASE $db');
      const url = new URL(PG_URL);
      url.pathname = `/${database}`;
      return {
        broker: () => `amqp://guest:guest@127.0.0.1:5672?prefix=shop-analytics-${run}`,
        store: url.href,
        cleanup: () => withDatabase(database, 'DROP DATABASE IF EXISTS $db WITH (FORCE)'),
      };
    },
  },
];

function shopEnv(setup: Setup, start: 'before' | 'after', services?: readonly string[]) {
  return {
    TANDEM_BROKER_URL: setup.broker(start),
    TANDEM_STORE_URL: setup.store,
    TANDEM_HTTP_PORT: '0',
    TANDEM_HTTP_HOST: '127.0.0.1',
    ...(services ? { SHOP_SERVICES: services.join(',') } : {}),
  };
}

/** What analytics should answer: computed by SQL from the orders and their lines. */
async function fromOrders(shop: Shop) {
  return { revenue: await revenueFromOrders(shop), topSkus: await topSkusFromOrders(shop) };
}

describe.each(setups)('analytics, added to a shop with orders and backfilled by replay, on $name', ({ setup }) => {
  it('equals SQL over the orders table after one replay, and after a second', async (test) => {
    const where = await setup();
    if (!where) return test.skip();
    const since = Date.now();
    let shop: Shop | undefined;
    try {
      // The shop as deployed so far, without analytics: 40 orders, one every 5 minutes of
      // event time from four hours ago, so they fall in four hours.
      const fourHoursAgo = new Date(Math.floor(since / HOUR) * HOUR - 4 * HOUR);
      shop = await buildShop(shopEnv(where, 'before'), {
        logger: silentLogger,
        ...steppingClock(fourHoursAgo, 5 * 60_000),
      });
      expect(shop.services).not.toContain('analytics');
      await shop.app.start();
      await placeRandomOrders(baseOf(shop), ORDERS);
      // Shipped means its orders.placed left the outbox: it is in the history a replay reads.
      await eventually(
        `the ${ORDERS} orders shipped`,
        async () =>
          (
            await rowsOf<{ n: number }>(shop!, `SELECT count(*)::int AS n FROM shop_orders WHERE status = 'shipped'`)
          )[0]!.n === ORDERS,
        60_000,
        50,
      );
      await shop.app.stop();

      // Redeployed with analytics: it starts with nothing, since its group never saw an event.
      shop = await buildShop(shopEnv(where, 'after', ALL_SERVICES), { logger: silentLogger });
      await shop.app.start();
      const base = baseOf(shop);
      expect(await analyticsOf(base)).toEqual({ revenue: [], topSkus: [] });
      const expected = await fromOrders(shop);
      expect(ordersCounted(expected.revenue)).toBe(ORDERS);
      expect(expected.revenue.length).toBeGreaterThanOrEqual(4);

      const query = { group: 'analytics', types: ['orders.placed'], since };
      expect(await shop.app.replay(query)).toMatchObject({ group: 'analytics', matched: ORDERS, delivered: ORDERS });
      await eventually(
        `analytics counted the ${ORDERS} replayed orders`,
        async () => ordersCounted((await analyticsOf(base)).revenue) >= ORDERS,
        60_000,
        50,
      );
      expect(await analyticsOf(base)).toEqual(expected);

      // The same window again: every event is delivered to the group, and its inbox skips each one.
      expect(await shop.app.replay(query)).toMatchObject({ matched: ORDERS, delivered: ORDERS });
      // One more order, live: once analytics has counted it, the replayed events ahead of it
      // in the group's queue have been handled (skipped) too.
      const marker = await placeOrder(base, randomOrder());
      expect(marker.body.status).toBe('accepted');
      await eventually(
        'analytics counted the live order after the second replay',
        async () => ordersCounted((await analyticsOf(base)).revenue) >= ORDERS + 1,
        60_000,
        50,
      );
      const after = await fromOrders(shop);
      expect(ordersCounted(after.revenue)).toBe(ORDERS + 1);
      expect(await analyticsOf(base)).toEqual(after);
    } finally {
      await shop?.app.stop();
      await where.cleanup();
    }
  }, 240_000);
});
