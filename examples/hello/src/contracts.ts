import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '@tandem/core';

export const PlaceOrder = defineCommand('orders.place', {
  input: z.object({
    customer: z.string().min(1),
    items: z.array(z.object({ sku: z.string().min(1), qty: z.number().int().positive() })).min(1),
  }),
  output: z.object({ orderId: z.string(), status: z.literal('accepted') }),
  description: 'Accepts an order at once; shipping follows asynchronously.',
});

export const OrderPlaced = defineEvent('orders.placed', {
  data: z.object({ orderId: z.string(), customer: z.string(), items: z.number().int() }),
});

export const GetShipment = defineQuery('shipping.get', {
  input: z.object({ orderId: z.string() }),
  output: z.object({ orderId: z.string(), status: z.enum(['pending', 'shipped']) }),
});
