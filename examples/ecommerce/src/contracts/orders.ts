import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '@tandem/core';
import { LineItem, LineItems } from './inventory.js';
import { Id, text } from './text.js';

export const OrderStatus = z.enum(['accepted', 'rejected', 'shipped', 'cancelled']);

export const PlaceOrder = defineCommand('orders.place', {
  description: 'Reserves stock and authorises payment synchronously, then answers; shipping follows as events.',
  input: z.object({
    customer: Id.min(1),
    email: z.email().max(200),
    card: text(32).min(4),
    items: LineItems,
  }),
  output: z.object({ orderId: z.string(), status: OrderStatus, reason: z.string().optional() }),
});

export const CancelOrder = defineCommand('orders.cancel', {
  route: { method: 'POST', path: '/orders/:orderId/cancel' },
  input: z.object({ orderId: Id }),
  output: z.object({ orderId: z.string(), status: OrderStatus }),
});

export const GetOrder = defineQuery('orders.get', {
  route: { method: 'GET', path: '/orders/:orderId' },
  input: z.object({ orderId: Id }),
  output: z.object({
    orderId: z.string(),
    customer: z.string(),
    total: z.number(),
    status: OrderStatus,
    reason: z.string().nullable(),
    placedAt: z.string(),
    updatedAt: z.string(),
  }),
});

/** `orders.placed` as version 1 wrote it, before the currency was added; still read (upcast) by version 2's consumers. */
export const OrderPlacedV1Data = z.object({
  orderId: z.string(),
  customer: z.string(),
  email: z.string(),
  items: z.array(LineItem),
  total: z.number(),
});

/** An ISO 4217 code: EUR, USD. */
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code, like EUR');

/**
 * Version 2 says which currency `total` is in, and when the order was placed. Version-1
 * messages (in queues, outboxes, dead letters, or replayed) were all in euros, the only
 * currency the shop sold in then; they have no `placedAt`, and their event time stands for it.
 */
export const OrderPlaced = defineEvent('orders.placed', {
  description: 'An order was accepted: stock reserved and payment authorised.',
  version: 2,
  data: OrderPlacedV1Data.extend({
    currency: Currency,
    placedAt: z.iso.datetime().optional().describe('When the order was placed; absent on version-1 orders'),
  }),
  from: { 1: { data: OrderPlacedV1Data, upcast: (v1) => ({ ...v1, currency: 'EUR' }) } },
});

export const OrderCancelled = defineEvent('orders.cancelled', {
  data: z.object({ orderId: z.string(), customer: z.string() }),
});

export const OrderRefunded = defineEvent('orders.refunded', {
  description: 'A placed order was undone (its shipment failed or the customer cancelled it): the payment refunded.',
  data: z.object({ orderId: z.string(), customer: z.string(), email: z.string(), amount: z.number() }),
});
