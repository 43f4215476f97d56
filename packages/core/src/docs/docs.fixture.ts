import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../contracts/contracts.js';
import { service } from '../runtime/service.js';
import { saga } from '../sagas/define.js';

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
  from: { 1: { data: z.object({ order: z.string() }), upcast: (v1) => ({ orderId: v1.order }) } },
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

export const ReserveStock = defineCommand('stock.reserve', {
  input: z.object({ orderId: z.string() }),
  output: z.object({ reserved: z.boolean() }),
});
export const ReleaseStock = defineCommand('stock.release', {
  input: z.object({ orderId: z.string() }),
  output: z.void(),
});
export const RefundPayment = defineCommand('payments.refund', {
  input: z.object({ invoiceId: z.string() }),
  output: z.void(),
});

const OrderState = z.object({ orderId: z.string() });

/**
 * The shop plus two sagas: fulfilment (started by orders.placed, advanced by
 * shipping.scheduled, commands served by the stock service, a timeout) and refunds (its
 * command served by no service here). Both have their own replies, with the same type name.
 */
export const sagaServices = [
  ...shopServices,
  service('stock')
    .command(ReserveStock, () => ({ reserved: true }))
    .command(ReleaseStock, noop),
  saga('fulfilment', { state: OrderState, sends: [ReleaseStock] })
    .startedBy(
      OrderPlaced,
      (e) => e.orderId,
      (e, s) => {
        s.set({ orderId: e.orderId }).send(ReserveStock, { orderId: e.orderId }).schedule('reservation', 60_000);
      },
    )
    .onReply(ReserveStock, (_reply, s) => void s.cancel('reservation'))
    .on(
      ShipmentScheduled,
      (e) => e.orderId,
      (_e, s) => void s.complete(),
    )
    .onTimeout('reservation', (_t, s) => void s.compensate('no reservation in time')),
  saga('refunds', { state: z.object({ invoiceId: z.string() }), sends: [RefundPayment] }).startedBy(
    InvoiceCreated,
    (e) => e.invoiceId,
    (e, s) => void s.set({ invoiceId: e.invoiceId }).send(RefundPayment, { invoiceId: e.invoiceId }),
  ),
];
