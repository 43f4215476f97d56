import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../contracts/contracts.js';
import { service } from '../runtime/service.js';

export const PlaceOrder = defineCommand('orders.place', {
  input: z.object({ sku: z.string(), qty: z.number().int().positive().default(1) }),
  output: z.object({ orderId: z.string() }),
  description: 'Places an order.',
});
export const CancelOrder = defineCommand('orders.cancel', {
  route: { method: 'DELETE', path: '/orders/:id' },
  input: z.object({ id: z.string() }),
  output: z.void(),
});
export const GetOrder = defineQuery('orders.get', {
  input: z.object({ id: z.string() }),
  output: z.object({ id: z.string(), status: z.enum(['placed', 'shipped']), placedAt: z.date() }),
});
export const OrderPlaced = defineEvent('orders.placed', {
  data: z.object({ orderId: z.string(), sku: z.string() }),
  description: 'An order was accepted.',
});
export const ShipmentScheduled = defineEvent('shipping.scheduled', {
  data: z.object({ orderId: z.string() }),
  version: 2,
});
export const InvoiceCreated = defineEvent('billing.invoiced', { data: z.object({ invoiceId: z.string() }) });
export const LedgerPosted = defineEvent('ledger.posted', { data: z.object({ invoiceId: z.string() }) });

const noop = async () => undefined;

/** Orders → shipping → notifications, plus billing ⇄ ledger, which is a cycle. */
export const shopServices = [
  service('orders')
    .command(PlaceOrder, async () => ({ orderId: 'o-1' }), { publishes: [OrderPlaced] })
    .command(CancelOrder, noop)
    .query(GetOrder, async ({ id }) => ({ id, status: 'placed' as const, placedAt: new Date() })),
  service('shipping').onEvent(OrderPlaced, noop, { publishes: [ShipmentScheduled] }),
  service('notifications').onEvent(ShipmentScheduled, noop).onEvent(OrderPlaced, noop),
  service('billing')
    .onEvent(LedgerPosted, noop)
    .onEvent(OrderPlaced, noop, { publishes: [InvoiceCreated] }),
  service('ledger').onEvent(InvoiceCreated, noop),
];
