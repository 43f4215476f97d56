import { OnEvent, Query, Service, type HandlerContext } from '@tandem/core';
import type { z } from 'zod';
import { GetRevenue, GetTopSkus, OrderPlaced } from '../contracts/index.js';
import { db } from '../db.js';

type Placed = z.output<typeof OrderPlaced.data>;

/** The UTC hour an instant falls in, as that hour's first instant. */
function hourOf(at: string): Date {
  const hour = new Date(at);
  hour.setUTCMinutes(0, 0, 0);
  return hour;
}

/**
 * Revenue per hour and the best-selling SKUs, projected from `orders.placed` into the shop's
 * database. It joins the shop whenever it is deployed (SHOP_SERVICES=...,analytics) and
 * learns the orders placed before it by replay (`tandem replay --group analytics --type
 * orders.placed --since ...`). Each order is added once: the inbox records the event in the
 * transaction that adds it, so a replayed event the group has already handled is skipped.
 * The inbox forgets after its retention (7 days), and a replay may reach further back, so
 * the orders counted are kept too, and an order seen again is not added twice.
 */
@Service('analytics')
export class Analytics {
  @OnEvent(OrderPlaced)
  async onPlaced(order: Placed, ctx: HandlerContext) {
    // Version-1 orders carry no placedAt: the time their event was published stands for it.
    const at = order.placedAt ?? ctx.meta.event?.time ?? new Date().toISOString();
    const sql = db(ctx);
    const first = await sql.query(
      'INSERT INTO shop_analytics_orders (order_id) VALUES ($1) ON CONFLICT (order_id) DO NOTHING RETURNING order_id',
      [order.orderId],
    );
    if (first.rows.length === 0) return;
    await sql.query(
      `INSERT INTO shop_analytics_revenue (hour, currency, revenue, orders) VALUES ($1, $2, $3, 1)
         ON CONFLICT (hour, currency) DO UPDATE
         SET revenue = shop_analytics_revenue.revenue + EXCLUDED.revenue, orders = shop_analytics_revenue.orders + 1`,
      [hourOf(at), order.currency, order.total],
    );
    await sql.query(
      `INSERT INTO shop_analytics_skus (sku, units, orders) SELECT sku, qty, 1 FROM unnest($1::text[], $2::int[]) AS l(sku, qty)
         ON CONFLICT (sku) DO UPDATE
         SET units = shop_analytics_skus.units + EXCLUDED.units, orders = shop_analytics_skus.orders + 1`,
      [order.items.map((item) => item.sku), order.items.map((item) => item.qty)],
    );
  }

  @Query(GetRevenue)
  async revenue(input: z.output<typeof GetRevenue.input>, ctx: HandlerContext) {
    const found = await db(ctx).query<{ hour: Date; currency: string; revenue: string; orders: number }>(
      `SELECT hour, currency, revenue, orders FROM shop_analytics_revenue
         WHERE ($1::timestamptz IS NULL OR hour >= $1) AND ($2::timestamptz IS NULL OR hour < $2)
         ORDER BY hour, currency`,
      [input.since ?? null, input.until ?? null],
    );
    return {
      hours: found.rows.map((r) => ({
        hour: new Date(r.hour).toISOString(),
        currency: r.currency,
        revenue: Number(r.revenue),
        orders: r.orders,
      })),
    };
  }

  @Query(GetTopSkus)
  async topSkus({ limit }: z.output<typeof GetTopSkus.input>, ctx: HandlerContext) {
    const found = await db(ctx).query<{ sku: string; units: number; orders: number }>(
      'SELECT sku, units, orders FROM shop_analytics_skus ORDER BY units DESC, sku LIMIT $1',
      [limit],
    );
    return { skus: found.rows };
  }
}
