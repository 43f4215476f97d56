import { z } from 'zod';
import { defineQuery } from '@tandem/core';

/** A UTC hour, as its first instant: `2026-12-04T13:00:00.000Z`. */
const Hour = z.iso.datetime();

export const GetRevenue = defineQuery('analytics.revenue', {
  description:
    'Revenue of placed orders per hour (UTC) and currency, oldest hour first; an order counts in the hour it was placed.',
  input: z.object({
    since: z.iso.datetime().optional().describe('First hour included (inclusive)'),
    until: z.iso.datetime().optional().describe('Hours from this one on are left out (exclusive)'),
  }),
  output: z.object({
    hours: z.array(z.object({ hour: Hour, currency: z.string(), revenue: z.number(), orders: z.number().int() })),
  }),
});

export const GetTopSkus = defineQuery('analytics.topSkus', {
  description: 'The SKUs sold most, by units across placed orders; ties by SKU.',
  input: z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) }),
  output: z.object({
    skus: z.array(z.object({ sku: z.string(), units: z.number().int(), orders: z.number().int() })),
  }),
});
