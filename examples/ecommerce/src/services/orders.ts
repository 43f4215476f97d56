import { createHash } from 'node:crypto';
import {
  Command,
  ConflictError,
  NotFoundError,
  OnEvent,
  Query,
  Service,
  uuidv7,
  type HandlerContext,
} from '@tandem/core';
import type { z } from 'zod';
import {
  AuthorizePayment,
  CancelOrder,
  GetOrder,
  OrderCancelled,
  OrderPlaced,
  PlaceOrder,
  ReleaseStock,
  ReserveStock,
  ShipmentScheduled,
} from '../contracts/index.js';
import { db } from '../db.js';
import { priceOf } from '../prices.js';

type Placed = z.output<typeof PlaceOrder.output>;

/** A UUID (version 8, name-based) for the order an idempotency key stands for. */
function orderIdFor(customer: string, key: string): string {
  const hex = createHash('sha256').update(`${customer}\n${key}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

@Service('orders')
export class Orders {
  /**
   * The hybrid flow: what must be true before answering (stock, payment) is asked
   * synchronously; everything that can wait (shipping, e-mail) follows from the event,
   * which the outbox sends only if the order row commits.
   */
  @Command(PlaceOrder, { publishes: [OrderPlaced] })
  async place(input: z.output<typeof PlaceOrder.input>, ctx: HandlerContext): Promise<Placed> {
    // A retry of this request (same Idempotency-Key, after a timeout or a crash) is the same
    // order: the stock and payment calls, idempotent per order, then do nothing twice.
    const key = ctx.meta.idempotencyKey;
    const orderId = key === undefined ? uuidv7() : orderIdFor(input.customer, key);
    const total = input.items.reduce((sum, item) => sum + item.qty * priceOf(item.sku), 0);
    const record = (status: Placed['status'], reason: string | null) =>
      db(ctx).query(
        'INSERT INTO shop_orders (order_id, customer, email, total, status, reason) VALUES ($1, $2, $3, $4, $5, $6)',
        [orderId, input.customer, input.email, total, status, reason],
      );
    try {
      await ctx.call(ReserveStock, { orderId, items: input.items }, { timeoutMs: 2_000 });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      await record('rejected', error.message);
      return { orderId, status: 'rejected', reason: error.message };
    }
    const payment = await ctx.call(
      AuthorizePayment,
      { orderId, customer: input.customer, email: input.email, amount: total, card: input.card },
      { timeoutMs: 2_000 },
    );
    if (payment.status === 'declined') {
      await ctx.call(ReleaseStock, { orderId });
      await record('rejected', 'payment declined');
      return { orderId, status: 'rejected', reason: 'payment declined' };
    }
    await record('accepted', null);
    await ctx.publish(
      OrderPlaced,
      { orderId, customer: input.customer, email: input.email, items: input.items, total },
      { key: orderId },
    );
    return { orderId, status: 'accepted' };
  }

  @Command(CancelOrder, { publishes: [OrderCancelled] })
  async cancel({ orderId }: { orderId: string }, ctx: HandlerContext) {
    const updated = await db(ctx).query<{ customer: string }>(
      `UPDATE shop_orders SET status = 'cancelled', updated_at = now() WHERE order_id = $1 AND status = 'accepted' RETURNING customer`,
      [orderId],
    );
    const row = updated.rows[0];
    if (!row) {
      const current = await this.get({ orderId }, ctx);
      if (current.status === 'cancelled') return { orderId, status: current.status };
      throw new ConflictError(`order ${orderId} is ${current.status} and can no longer be cancelled`);
    }
    await ctx.publish(OrderCancelled, { orderId, customer: row.customer }, { key: orderId });
    return { orderId, status: 'cancelled' as const };
  }

  @OnEvent(ShipmentScheduled)
  async onShipped({ orderId }: { orderId: string }, ctx: HandlerContext) {
    await db(ctx).query(
      `UPDATE shop_orders SET status = 'shipped', updated_at = now() WHERE order_id = $1 AND status = 'accepted'`,
      [orderId],
    );
  }

  @Query(GetOrder)
  async get({ orderId }: { orderId: string }, ctx: HandlerContext) {
    const found = await db(ctx).query<{
      customer: string;
      total: string;
      status: Placed['status'];
      reason: string | null;
      placed_at: Date;
      updated_at: Date;
    }>('SELECT customer, total, status, reason, placed_at, updated_at FROM shop_orders WHERE order_id = $1', [orderId]);
    const row = found.rows[0];
    if (!row) throw new NotFoundError(`order ${orderId} does not exist`);
    return {
      orderId,
      customer: row.customer,
      total: Number(row.total),
      status: row.status,
      reason: row.reason,
      placedAt: new Date(row.placed_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }
}
