import { z } from 'zod';
import { defineEvent, defineQuery } from '@tandem/core';
import { Id } from './text.js';

export const ShipmentScheduled = defineEvent('shipping.scheduled', {
  description: 'A parcel for the order has a carrier and a tracking number.',
  data: z.object({ orderId: z.string(), customer: z.string(), email: z.string(), tracking: z.string() }),
});

export const ShipmentFailed = defineEvent('shipping.failed', {
  description: 'No carrier takes the order: it cannot be shipped.',
  data: z.object({ orderId: z.string(), reason: z.string() }),
});

export const GetShipment = defineQuery('shipping.get', {
  input: z.object({ orderId: Id }),
  output: z.object({ orderId: z.string(), tracking: z.string(), status: z.enum(['scheduled', 'cancelled', 'failed']) }),
});
