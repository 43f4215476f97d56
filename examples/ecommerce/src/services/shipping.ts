import { NotFoundError, OnEvent, Query, Service, type HandlerContext } from '@tandem/core';
import type { z } from 'zod';
import { GetShipment, OrderCancelled, OrderPlaced, ShipmentScheduled } from '../contracts/index.js';
import { db } from '../db.js';

@Service('shipping')
export class Shipping {
  /** Runs once per order even when the event is delivered twice: the inbox drops the repeat. */
  @OnEvent(OrderPlaced, { publishes: [ShipmentScheduled], retry: { attempts: 5, initialDelayMs: 200 } })
  async onOrderPlaced(order: z.output<typeof OrderPlaced.data>, ctx: HandlerContext) {
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
    await db(ctx).query(`UPDATE shop_shipments SET status = 'cancelled' WHERE order_id = $1`, [orderId]);
  }

  @Query(GetShipment)
  async get({ orderId }: { orderId: string }, ctx: HandlerContext) {
    const found = await db(ctx).query<{ tracking: string; status: 'scheduled' | 'cancelled' }>(
      'SELECT tracking, status FROM shop_shipments WHERE order_id = $1',
      [orderId],
    );
    const row = found.rows[0];
    if (!row) throw new NotFoundError(`no shipment for order ${orderId} (yet)`);
    return { orderId, ...row };
  }
}
