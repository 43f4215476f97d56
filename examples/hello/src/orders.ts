import { Command, Service, uuidv7, type HandlerContext } from '@tandem/core';
import type { z } from 'zod';
import { OrderPlaced, PlaceOrder } from './contracts.js';

@Service('orders')
export class Orders {
  /** The sync part: validate, decide, answer at once. What can wait becomes an event. */
  @Command(PlaceOrder)
  async place(input: z.output<typeof PlaceOrder.input>, ctx: HandlerContext) {
    const orderId = uuidv7();
    const items = input.items.reduce((n, item) => n + item.qty, 0);
    await ctx.publish(OrderPlaced, { orderId, customer: input.customer, items }, { key: orderId });
    return { orderId, status: 'accepted' as const };
  }
}
