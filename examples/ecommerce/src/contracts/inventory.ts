import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '@tandem/core';
import { Id } from './text.js';

export const LineItem = z.object({ sku: Id.min(1), qty: z.number().int().positive().max(100) });

/**
 * An order's lines: each SKU once (two lines of one SKU would reserve its row twice in one
 * statement), and at most 20 of them.
 */
export const LineItems = z
  .array(LineItem)
  .min(1)
  .max(20)
  .refine((items) => new Set(items.map((item) => item.sku)).size === items.length, {
    message: 'each sku may appear once; add up the quantities instead',
  });

export const ReserveStock = defineCommand('inventory.reserve', {
  description: 'Reserves every line of an order, or none: 409 when a SKU is short.',
  input: z.object({ orderId: Id, items: LineItems }),
  output: z.object({ reserved: z.boolean() }),
});

export const InventoryReserved = defineEvent('inventory.reserved', {
  description: "An order's stock was taken; published in the reservation's own transaction.",
  data: z.object({ orderId: z.string(), items: z.array(LineItem) }),
});

export const ReleaseStock = defineCommand('inventory.release', {
  description:
    "Puts an order's reserved stock back; doing it twice, or for an order with nothing reserved, is harmless.",
  input: z.object({ orderId: Id }),
  output: z.object({ released: z.number().int() }),
});

export const GetStock = defineQuery('inventory.stock', {
  input: z.object({ sku: Id }),
  output: z.object({ sku: z.string(), available: z.number().int() }),
});
