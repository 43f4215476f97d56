import { NonRetryableError, OnEvent, Query, Service, type HandlerContext } from '@tandem/core';
import type { z } from 'zod';
import { ListNotifications, OrderPlaced, OrderRefunded, PaymentFailed, ShipmentScheduled } from '../contracts/index.js';
import { db } from '../db.js';

/**
 * Where e-mail goes. A relay that cannot be reached is a passing fault (UnavailableError,
 * retried); an address it refuses is permanent (NonRetryableError, dead-lettered at once).
 */
export interface Mailer {
  send(to: string, text: string): Promise<void>;
}

export function bouncingMailer(blockedDomains: ReadonlySet<string>): Mailer {
  return {
    async send(to) {
      const domain = to.slice(to.lastIndexOf('@') + 1);
      if (blockedDomains.has(domain)) throw new NonRetryableError(`mail relay refused ${to}: domain ${domain} bounces`);
    },
  };
}

/**
 * Up to 8 attempts, backing off from 250 ms to 4 s with full jitter: about eight seconds of
 * outage on average before an event is dead-lettered for `tandem dead-letters replay`.
 */
const retry = { retry: { attempts: 8, initialDelayMs: 250, maxDelayMs: 4_000 } };

@Service('notifications')
export class Notifications {
  constructor(private readonly mailer: Mailer = bouncingMailer(blockedFromEnv())) {}

  @OnEvent(OrderPlaced, retry)
  async onPlaced(order: z.output<typeof OrderPlaced.data>, ctx: HandlerContext) {
    await this.notify(
      ctx,
      order.orderId,
      'order-confirmed',
      order.email,
      `Thanks ${order.customer}, your order of ${order.total.toFixed(2)} ${order.currency} is confirmed.`,
    );
  }

  @OnEvent(ShipmentScheduled, retry)
  async onShipped(shipment: z.output<typeof ShipmentScheduled.data>, ctx: HandlerContext) {
    await this.notify(
      ctx,
      shipment.orderId,
      'shipped',
      shipment.email,
      `Your parcel is on its way: ${shipment.tracking}.`,
    );
  }

  @OnEvent(PaymentFailed, retry)
  async onPaymentFailed(failure: z.output<typeof PaymentFailed.data>, ctx: HandlerContext) {
    await this.notify(ctx, failure.orderId, 'payment-failed', failure.email, `Your payment failed: ${failure.reason}.`);
  }

  /** Sent by the fulfilment saga once the refund went through. */
  @OnEvent(OrderRefunded, retry)
  async onRefunded(refund: z.output<typeof OrderRefunded.data>, ctx: HandlerContext) {
    await this.notify(
      ctx,
      refund.orderId,
      'refunded',
      refund.email,
      `Sorry ${refund.customer}, your order ${refund.orderId} was called off; ${refund.amount.toFixed(2)} was refunded to your card.`,
    );
  }

  @Query(ListNotifications)
  async list({ orderId }: { orderId: string }, ctx: HandlerContext) {
    const found = await db(ctx).query<{ kind: string; email: string; body: string; sent_at: Date }>(
      'SELECT kind, email, body, sent_at FROM shop_notifications WHERE order_id = $1 ORDER BY sent_at',
      [orderId],
    );
    return {
      notifications: found.rows.map((r) => ({
        kind: r.kind,
        email: r.email,
        text: r.body,
        sentAt: new Date(r.sent_at).toISOString(),
      })),
    };
  }

  private async notify(ctx: HandlerContext, orderId: string, kind: string, email: string, text: string) {
    await this.mailer.send(email, text);
    await db(ctx).query(
      'INSERT INTO shop_notifications (message_id, order_id, kind, email, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [ctx.meta.messageId, orderId, kind, email, text],
    );
  }
}

function blockedFromEnv(): Set<string> {
  const raw = process.env.SHOP_BOUNCING_DOMAINS ?? 'bounce.test';
  return new Set(
    raw
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean),
  );
}
