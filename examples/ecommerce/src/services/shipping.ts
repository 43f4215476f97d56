import { NotFoundError, OnEvent, Query, Service, type HandlerContext } from '@tandem/core';
import type { z } from 'zod';
import { GetShipment, OrderCancelled, ShipmentFailed, ShipmentScheduled } from '../contracts/index.js';
import { OrderPlacedV1 } from '../contracts/orders-placed-v1.js';
import { db } from '../db.js';

@Service('shipping')
export class Shipping {
  /** Products no carrier takes, as the card that is always declined does for payments. */
  constructor(private readonly unshippable: ReadonlySet<string> = unshippableFromEnv()) {}

  /**
   * Runs once per order even when the event is delivered twice: the inbox drops the repeat.
   * Still on version 1 of orders.placed (see contracts/orders-placed-v1.ts): it reads no money.
   */
  @OnEvent(OrderPlacedV1, {
    publishes: [ShipmentScheduled, ShipmentFailed],
    retry: { attempts: 5, initialDelayMs: 200 },
  })
  async onOrderPlaced(order: z.output<typeof OrderPlacedV1.data>, ctx: HandlerContext) {
    const refused = order.items.find((item) => this.unshippable.has(item.sku));
    if (refused) {
      const reason = `no carrier takes '${refused.sku}'`;
      await db(ctx).query(
        `INSERT INTO shop_shipments (order_id, tracking, status) VALUES ($1, '', 'failed') ON CONFLICT (order_id) DO NOTHING`,
        [order.orderId],
      );
      await ctx.publish(ShipmentFailed, { orderId: order.orderId, reason }, { key: order.orderId });
      return;
    }
    const tracking = `TRK-${order.orderId.replace(/-/g, '').slice(-10).toUpperCase()}`;
    await db(ctx).query(
      `INSERT INTO shop_shipments (order_id, tracking, status) VALUES ($1, $2, 'scheduled') ON CONFLICT (order_id) DO NOTHING`,
      [order.orderId, tracking],
    );
    await ctx.publish(
      ShipmentScheduled,
      { orderId: order.orderId, customer: order.customer, email: order.email, tracking },
      { key: order.orderId },
    );
  }

  @OnEvent(OrderCancelled)
  async onCancelled({ orderId }: { orderId: string }, ctx: HandlerContext) {
    await db(ctx).query(`UPDATE shop_shipments SET status = 'cancelled' WHERE order_id = $1 AND status = 'scheduled'`, [
      orderId,
    ]);
  }

  @Query(GetShipment)
  async get({ orderId }: { orderId: string }, ctx: HandlerContext) {
    const found = await db(ctx).query<{ tracking: string; status: 'scheduled' | 'cancelled' | 'failed' }>(
      'SELECT tracking, status FROM shop_shipments WHERE order_id = $1',
      [orderId],
    );
    const row = found.rows[0];
    if (!row) throw new NotFoundError(`no shipment for order ${orderId} (yet)`);
    return { orderId, ...row };
  }
}

/** SHOP_UNSHIPPABLE_SKUS: comma-separated SKUs whose orders fail to ship (default 'piano'). */
function unshippableFromEnv(): Set<string> {
  const raw = process.env.SHOP_UNSHIPPABLE_SKUS ?? 'piano';
  return new Set(
    raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}
