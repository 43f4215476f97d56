import { Command, ConflictError, Service, uuidv7, type HandlerContext } from '@tandem/core';
import type { Queryable } from '@tandem/store-postgres';
import type { z } from 'zod';
import { AuthorizePayment, PaymentAuthorized, PaymentFailed, RefundPayment, VoidPayment } from '../contracts/index.js';
import { db } from '../db.js';

/** The test card that is always declined, as payment providers offer. */
export const DECLINED_CARD = '4000-0000-0000-0002';

type PaymentStatus = 'authorized' | 'declined' | 'voided' | 'refunded';

/**
 * One row per order, whatever happened first: an authorisation, a decline, or a void that
 * came before any authorisation (the fulfilment saga gave up on the order while the call was
 * still on its way). The row's primary key makes the authorisation and the void of one order
 * wait for each other, so a late authorisation sees the void and is refused.
 */
@Service('payments')
export class Payments {
  @Command(AuthorizePayment, { publishes: [PaymentAuthorized, PaymentFailed] })
  async authorize(input: z.output<typeof AuthorizePayment.input>, ctx: HandlerContext) {
    const { orderId, customer, email, amount, card } = input;
    const sql = db(ctx);
    const seen = await statusOf(sql, orderId);
    if (seen) return answered(orderId, seen);
    const status = card === DECLINED_CARD ? ('declined' as const) : ('authorized' as const);
    const paymentId = uuidv7();
    const inserted = await sql.query(
      'INSERT INTO shop_payments (order_id, amount, status, payment_id) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING',
      [orderId, amount, status, paymentId],
    );
    // A void or a retry of this call committed first: answer by its row.
    if (inserted.rowCount === 0) return answered(orderId, (await statusOf(sql, orderId))!);
    if (status === 'declined') {
      await ctx.publish(PaymentFailed, { orderId, customer, email, reason: 'card declined' }, { key: orderId });
    } else {
      await ctx.publish(PaymentAuthorized, { orderId, paymentId, amount }, { key: orderId });
    }
    return { status };
  }

  /** Before the order is placed (the fulfilment saga's compensation). */
  @Command(VoidPayment)
  async void({ orderId }: z.output<typeof VoidPayment.input>, ctx: HandlerContext) {
    const sql = db(ctx);
    // One statement, so an authorisation in flight is waited for and then voided, never missed.
    // The row it records when there was none has amount 0: voided is true only for a real one.
    const result = await sql.query<{ voided: boolean }>(
      `INSERT INTO shop_payments (order_id, amount, status) VALUES ($1, 0, 'voided')
         ON CONFLICT (order_id) DO UPDATE SET status = 'voided', updated_at = now() WHERE shop_payments.status = 'authorized'
         RETURNING amount > 0 AS voided`,
      [orderId],
    );
    return { voided: result.rows[0]?.voided ?? false };
  }

  /** After the order was placed: its shipment failed, or the customer cancelled it. */
  @Command(RefundPayment)
  async refund({ orderId }: z.output<typeof RefundPayment.input>, ctx: HandlerContext) {
    const result = await db(ctx).query(
      `UPDATE shop_payments SET status = 'refunded', updated_at = now() WHERE order_id = $1 AND status = 'authorized'`,
      [orderId],
    );
    return { refunded: result.rowCount > 0 };
  }
}

async function statusOf(sql: Queryable, orderId: string): Promise<PaymentStatus | undefined> {
  const found = await sql.query<{ status: PaymentStatus }>('SELECT status FROM shop_payments WHERE order_id = $1', [
    orderId,
  ]);
  return found.rows[0]?.status;
}

function answered(orderId: string, status: PaymentStatus) {
  if (status === 'authorized' || status === 'declined') return { status };
  throw new ConflictError(
    `the payment for order ${orderId} was ${status} (the order expired or was undone); place a new order`,
  );
}
