import { z } from 'zod';
import { defineEvent } from '@tandem/core';
import { LineItem } from './inventory.js';

/**
 * `orders.placed` as the shipping team still has it: their copy of version 1, from before
 * the orders team added the currency (version 2, in orders.ts). They have not upgraded, and
 * need not: shipping reads no money. `accepts: 'newer'` makes their consumer take version-2
 * messages as version 1 (validated against this schema, the fields it does not know
 * dropped) instead of dead-lettering them as an unknown version. That is safe only while
 * newer versions keep every field this one reads, with the same meaning.
 */
export const OrderPlacedV1 = defineEvent('orders.placed', {
  description: 'An order was accepted: stock reserved and payment authorised.',
  accepts: 'newer',
  data: z.object({
    orderId: z.string(),
    customer: z.string(),
    email: z.string(),
    items: z.array(LineItem),
    total: z.number(),
  }),
});
