/** The currency of the catalogue's prices, and so of every order's total. */
export const CURRENCY = 'EUR';

/** The catalogue's prices; a real shop would ask a pricing service. */
const prices: Record<string, number> = { tea: 4.5, coffee: 7.25, mug: 12, 'rare-vinyl': 250, piano: 3_000 };

export function priceOf(sku: string): number {
  return prices[sku] ?? 10;
}
