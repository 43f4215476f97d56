// The command both servers handle: an order of three items, validated by one zod schema.
import { z } from 'zod';

export const PlaceOrder = z.object({
  customerId: z.string().min(1),
  items: z
    .array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive(), price: z.number().nonnegative() }))
    .min(1),
});

export const body = JSON.stringify({
  customerId: 'c-42',
  items: [
    { sku: 'sku-1', quantity: 1, price: 9.5 },
    { sku: 'sku-2', quantity: 2, price: 19 },
    { sku: 'sku-3', quantity: 3, price: 4.25 },
  ],
});

export function total(order) {
  return order.items.reduce((sum, item) => sum + item.quantity * item.price, 0);
}
