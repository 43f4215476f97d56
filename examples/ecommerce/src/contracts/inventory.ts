import { z } from 'zod';
import { defineCommand, defineQuery } from '@tandem/core';

export const LineItem = z.object({ sku: z.string().min(1), qty: z.number().int().positive().max(100) });

export const ReserveStock = defineCommand('inventory.reserve', {
  description: 'Reserves every line of an order, or none: 409 when a SKU is short.',
  input: z.object({ orderId: z.string(), items: z.array(LineItem).min(1) }),
  output: z.object({ reserved: z.boolean() }),
});

export const ReleaseStock = defineCommand('inventory.release', {
  description: "Puts an order's reserved stock back; doing it twice is harmless.",
  input: z.object({ orderId: z.string() }),
  output: z.object({ released: z.number().int() }),
});

export const GetStock = defineQuery('inventory.stock', {
  input: z.object({ sku: z.string() }),
  output: z.object({ sku: z.string(), available: z.number().int() }),
});
