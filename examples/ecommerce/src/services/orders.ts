import { createHash } from 'node:crypto';
import { Command, ConflictError, NotFoundError, Query, Service, uuidv7, type HandlerContext } from '@tandem/core';
import type { z } from 'zod';
import {
  AuthorizePayment,
  CancelOrder,
  GetOrder,
  OrderCancelled,
  OrderPlaced,
  PlaceOrder,
  ReserveStock,
} from '../contracts/index.js';
import { db, openDb } from '../db.js';
import { expiryOf, lockOrder } from '../order-expiry.js';
import { CURRENCY, priceOf } from '../prices.js';

type Placed = z.output<typeof PlaceOrder.output>;

/** A UUID (version 8, name-based) for the order an idempotency key stands for. */
function orderIdFor(customer: string, key: string): string {
  const hex = createHash('sha256').update(`${customer}\n${key}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Reserves the stock, then authorises the payment: undefined when both hold, else why the
 * order is refused. Any other failure (a timeout, a service down) is thrown: nothing of this
 * order is written, and the client's retry with the same key finds what these calls held.
 */
async function holdStockAndPayment(
  ctx: HandlerContext,
  orderId: string,
  input: z.output<typeof PlaceOrder.input>,
  amount: number,
): Promise<string | undefined> {
  try {
    await ctx.call(ReserveStock, { orderId, items: input.items }, { timeoutMs: 2_000 });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    return error.message;
  }
  let payment;
  try {
    payment = await ctx.call(
      AuthorizePayment,
      { orderId, customer: input.customer, email: input.email, amount, card: input.card },
      { timeoutMs: 2_000 },
    );
  } catch (error) {
    // Voided before it was authorised: the saga gave up on this order meanwhile.
    if (!(error instanceof ConflictError)) throw error;
    return error.message;
  }
  // The saga releases the stock when it hears of the decline (payments.failed).
  return payment.status === 'declined' ? 'payment declined' : undefined;
}

@Service('orders')
export class Orders {
  /** `clock` says when an order is placed (tests spread orders over hours with one of their own). */
  constructor(private readonly clock: () => Date = () => new Date()) {}

  /**
   * The hybrid flow: what must be true before answering (stock, payment) is asked
   * synchronously; everything that can wait (shipping, e-mail) follows from the event,
   * which the outbox sends only if the order row commits. The calls come first, outside any
   * transaction of this service (`transaction: 'deferred'`): each commits in its own service,
   * and a transaction held open across them would keep a pooled connection idle in
   * transaction for their whole round trips. Then one short transaction decides the order.
   * Nothing here undoes anything: the fulfilment saga (src/sagas/order-fulfilment.ts) hears
   * of every reservation and authorisation and releases or voids them if this order is never
   * placed, even when this process dies between the calls.
   */
  @Command(PlaceOrder, { publishes: [OrderPlaced], transaction: 'deferred' })
  async place(input: z.output<typeof PlaceOrder.input>, ctx: HandlerContext): Promise<Placed> {
    // A retry of this request (same Idempotency-Key, after a timeout or a crash) is the same
    // order: the stock and payment calls, idempotent per order, then do nothing twice.
    const key = ctx.meta.idempotencyKey;
    const orderId = key === undefined ? uuidv7() : orderIdFor(input.customer, key);
    const total = input.items.reduce((sum, item) => sum + item.qty * priceOf(item.sku), 0);
    const placedAt = this.clock();
    const refused = await holdStockAndPayment(ctx, orderId, input, total);
    const sql = await openDb(ctx);
    // Placed or expired, never both: the saga's timeout takes the same lock (see order-expiry.ts).
    await lockOrder(sql, orderId);
    // A retry that comes after the saga gave up on the first attempt: that order is over.
    const expired = await expiryOf(sql, orderId);
    const reason = expired !== undefined ? `expired: ${expired}` : refused;
    if (reason !== undefined) {
      await sql.query(
        `INSERT INTO shop_orders (order_id, customer, email, total, currency, status, reason, placed_at)
           VALUES ($1, $2, $3, $4, $5, 'rejected', $6, $7) ON CONFLICT (order_id) DO NOTHING`,
        [orderId, input.customer, input.email, total, CURRENCY, reason, placedAt],
      );
      return { orderId, status: 'rejected', reason };
    }
    await sql.query(
      `INSERT INTO shop_orders (order_id, customer, email, total, currency, status, reason, placed_at)
         VALUES ($1, $2, $3, $4, $5, 'accepted', NULL, $6)`,
      [orderId, input.customer, input.email, total, CURRENCY, placedAt],
    );
    await sql.query(
      `INSERT INTO shop_order_lines (order_id, sku, qty) SELECT $1, sku, qty FROM unnest($2::text[], $3::int[]) AS l(sku, qty)`,
      [orderId, input.items.map((item) => item.sku), input.items.map((item) => item.qty)],
    );
    const placed = { orderId, customer: input.customer, email: input.email, items: input.items, total };
    await ctx.publish(
      OrderPlaced,
      { ...placed, currency: CURRENCY, placedAt: placedAt.toISOString() },
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
