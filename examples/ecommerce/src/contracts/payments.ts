import { z } from 'zod';
import { defineCommand, defineEvent } from '@tandem/core';
import { Id, text } from './text.js';

export const AuthorizePayment = defineCommand('payments.authorize', {
  description: 'Authorises the amount on the card; the same orderId gives the same answer.',
  input: z.object({
    orderId: Id,
    customer: Id,
    email: text(),
    amount: z.number().positive(),
    card: text(32).min(4),
  }),
  output: z.object({ status: z.enum(['authorized', 'declined']) }),
});

export const PaymentAuthorized = defineEvent('payments.authorized', {
  description: "An order's amount was authorised on the card; published in the authorisation's own transaction.",
  data: z.object({ orderId: z.string(), paymentId: z.string(), amount: z.number() }),
});

export const VoidPayment = defineCommand('payments.void', {
  description:
    "Releases an order's authorisation before the order is placed. With none yet, it records the void, so an authorisation arriving later is refused; doing it twice is harmless.",
  input: z.object({ orderId: Id }),
  output: z.object({ voided: z.boolean() }),
});

export const RefundPayment = defineCommand('payments.refund', {
  description: "Gives back the amount of a placed order's payment; doing it twice, or with no payment, is harmless.",
  input: z.object({ orderId: Id }),
  output: z.object({ refunded: z.boolean() }),
});

export const PaymentFailed = defineEvent('payments.failed', {
  description: 'A card was declined for an order.',
  data: z.object({ orderId: z.string(), customer: z.string(), email: z.string(), reason: z.string() }),
});
