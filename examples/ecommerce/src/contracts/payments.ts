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

export const PaymentFailed = defineEvent('payments.failed', {
  description: 'A card was declined for an order.',
  data: z.object({ orderId: z.string(), customer: z.string(), email: z.string(), reason: z.string() }),
});
