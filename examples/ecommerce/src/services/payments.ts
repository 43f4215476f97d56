import { Command, OnEvent, Service, type HandlerContext } from '@tandem/core';
import type { z } from 'zod';
import { AuthorizePayment, OrderCancelled, PaymentFailed } from '../contracts/index.js';
import { db } from '../db.js';

/** The test card that is always declined, as payment providers offer. */
export const DECLINED_CARD = '4000-0000-0000-0002';

@Service('payments')
export class Payments {
  @Command(AuthorizePayment, { publishes: [PaymentFailed] })
  async authorize(input: z.output<typeof AuthorizePayment.input>, ctx: HandlerContext) {
    const { orderId, customer, email, amount, card } = input;
    const sql = db(ctx);
    const seen = await sql.query<{ status: 'authorized' | 'declined' }>(
      'SELECT status FROM shop_payments WHERE order_id = $1',
      [orderId],
    );
    if (seen.rows[0]) return { status: seen.rows[0].status };
    const status = card === DECLINED_CARD ? ('declined' as const) : ('authorized' as const);
    await sql.query('INSERT INTO shop_payments (order_id, amount, status) VALUES ($1, $2, $3)', [
      orderId,
      amount,
      status,
    ]);
    if (status === 'declined') {
      await ctx.publish(PaymentFailed, { orderId, customer, email, reason: 'card declined' }, { key: orderId });
    }
    return { status };
  }

  @OnEvent(OrderCancelled)
  async onCancelled({ orderId }: { orderId: string }, ctx: HandlerContext) {
    await db(ctx).query(
      `UPDATE shop_payments SET status = 'voided', updated_at = now() WHERE order_id = $1 AND status = 'authorized'`,
      [orderId],
    );
  }
}
