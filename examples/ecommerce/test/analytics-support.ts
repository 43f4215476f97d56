import { expect } from 'vitest';
import type { Shop } from '../src/shop.js';
import { anOrder, getJson, placeOrder, rowsOf } from './support.js';

export interface HourRevenue {
  hour: string;
  currency: string;
  revenue: number;
  orders: number;
}

export interface SkuSales {
  sku: string;
  units: number;
  orders: number;
}

/** SKUs the shop has plenty of and ships (piano fails to ship, rare-vinyl has one in stock). */
const SKUS = ['tea', 'coffee', 'mug'];

/** An order of 1 to 3 distinct SKUs, 1 to 5 of each, picked at random. */
export function randomOrder(): Record<string, unknown> {
  const skus = SKUS.filter(() => Math.random() < 0.6);
  const lines = (skus.length > 0 ? skus : [SKUS[Math.floor(Math.random() * SKUS.length)]!]).map((sku) => ({
    sku,
    qty: 1 + Math.floor(Math.random() * 5),
  }));
  return anOrder({ items: lines });
}

/**
 * A clock for the orders service that places order n at `start` + n × `stepMs`, so that the
 * orders spread over several hours of event time within one test.
 */
export function steppingClock(start: Date, stepMs: number): { clock: () => Date } {
  let n = 0;
  return { clock: () => new Date(start.getTime() + n++ * stepMs) };
}

/** Places `count` random orders, a few at a time, and returns their ids; every one must be accepted. */
export async function placeRandomOrders(base: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(4, count - i) }, () => placeOrder(base, randomOrder())),
    );
    for (const placed of batch) {
      expect(placed.body.status, JSON.stringify(placed.body)).toBe('accepted');
      ids.push(placed.body.orderId);
    }
  }
  return ids;
}

/** Revenue per UTC hour and currency, computed by SQL from the orders table (every order placed, not rejected). */
export async function revenueFromOrders(shop: Shop): Promise<HourRevenue[]> {
  const rows = await rowsOf<{ hour: string; currency: string; revenue: string; orders: number }>(
    shop,
    `SELECT to_char(date_trunc('hour', placed_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:00:00.000"Z"') AS hour,
            currency, sum(total) AS revenue, count(*)::int AS orders
       FROM shop_orders WHERE status <> 'rejected' GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  return rows.map((r) => ({ ...r, revenue: Number(r.revenue) }));
}

/** Units and orders per SKU, computed by SQL from the orders' lines, most units first, ties by SKU. */
export async function topSkusFromOrders(shop: Shop): Promise<SkuSales[]> {
  return rowsOf<SkuSales>(
    shop,
    `SELECT l.sku, sum(l.qty)::int AS units, count(*)::int AS orders
       FROM shop_order_lines l JOIN shop_orders o USING (order_id) WHERE o.status <> 'rejected'
       GROUP BY l.sku ORDER BY units DESC, l.sku`,
  );
}

/** What the analytics service answers, through the shop's HTTP API. */
export async function analyticsOf(base: string): Promise<{ revenue: HourRevenue[]; topSkus: SkuSales[] }> {
  const revenue = await getJson<{ hours: HourRevenue[] }>(`${base}/queries/analytics.revenue`);
  const top = await getJson<{ skus: SkuSales[] }>(`${base}/queries/analytics.topSkus?limit=100`);
  expect(revenue.status).toBe(200);
  expect(top.status).toBe(200);
  return { revenue: revenue.body.hours, topSkus: top.body.skus };
}

/** Orders the analytics service has counted, over every hour. */
export function ordersCounted(revenue: readonly HourRevenue[]): number {
  return revenue.reduce((n, h) => n + h.orders, 0);
}
