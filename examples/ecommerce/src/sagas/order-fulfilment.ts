/**
 * The fulfilment saga: what makes `orders.place` safe to run across processes. The place
 * call reserves stock and authorises a payment in other services, each committing on its
 * own; if the order is then never placed (the payment call timed out, its service was down,
 * the orders process died in between), nothing else would give the stock or the money back.
 * The saga hears of every reservation and authorisation (their events commit with them),
 * and each instance, one per order, ends in one of two ways: the order was placed and
 * shipped, or everything it held was given back.
 *
 * It runs in the orders process: its timeout decides "placed or expired" in the orders
 * service's own database (see order-expiry.ts), and on shipment it marks the order shipped.
 */
import { saga, undo, UnavailableError, type SagaStep } from '@tandem/core';
import type { Queryable } from '@tandem/store-postgres';
import { z } from 'zod';
import {
  InventoryReserved,
  OrderCancelled,
  OrderPlaced,
  OrderRefunded,
  PaymentAuthorized,
  PaymentFailed,
  RefundPayment,
  ReleaseStock,
  ShipmentFailed,
  ShipmentScheduled,
  VoidPayment,
} from '../contracts/index.js';
import { lockOrder, markExpired } from '../order-expiry.js';

export const FULFILMENT_SAGA = 'orders.fulfilment';

/** How long an order may take from its reservation to being placed, by default. */
export const DEFAULT_ORDER_TIMEOUT_MS = 30_000;

export const FulfilmentState = z.object({
  orderId: z.string(),
  /** pending: stock or payment held, order not placed yet; placed: waiting for the shipment. */
  stage: z.enum(['pending', 'placed']),
  reserved: z.boolean(),
  paymentId: z.string().optional(),
});
type State = z.output<typeof FulfilmentState>;

export interface FulfilmentOptions {
  /** From the first reservation or authorisation to the order placed; then it is given up. */
  orderTimeoutMs?: number;
}

export function orderFulfilment(options: FulfilmentOptions = {}) {
  const timeoutMs = options.orderTimeoutMs ?? DEFAULT_ORDER_TIMEOUT_MS;

  /**
   * The state so far, or a new instance's. A new one can undo both the reservation and the
   * payment from the start, whichever fact arrived first: the stock was reserved before the
   * payment was asked for, and a payment may be authorised while this runs (its event still
   * on its way, or the call still in flight). Both undos are harmless with nothing to undo,
   * and a void before the authorisation makes the authorisation fail. Run newest first: the
   * stock goes back first, so a payments outage never holds it.
   */
  function stateOrNew(s: SagaStep<State | undefined>, orderId: string, placed = false): State {
    if (s.state) return s.state;
    s.compensateWith(undo.command(VoidPayment, { orderId })).compensateWith(undo.command(ReleaseStock, { orderId }));
    if (!placed) s.schedule('order', timeoutMs);
    return { orderId, stage: 'pending', reserved: false };
  }

  return saga(FULFILMENT_SAGA, {
    state: FulfilmentState,
    sends: [ReleaseStock, VoidPayment, RefundPayment],
    // A compensation waits out an outage of inventory or payments (retries spread over up to
    // 80 s, 40 s on average); past that the instance is parked for `tandem sagas retry`.
    retry: { attempts: 16, immediateRetries: 1, initialDelayMs: 250, maxDelayMs: 8_000 },
    commandTimeoutMs: 5_000,
    description: 'Gives back the stock and the payment of every order that is not placed, shipped or cancelled.',
  })
    .startedBy(
      InventoryReserved,
      (e) => e.orderId,
      function reserved(e, s) {
        s.set({ ...stateOrNew(s, e.orderId), reserved: true });
      },
    )
    .startedBy(
      PaymentAuthorized,
      (e) => e.orderId,
      function authorized(e, s) {
        s.set({ ...stateOrNew(s, e.orderId), paymentId: e.paymentId });
      },
    )
    .startedBy(
      PaymentFailed,
      (e) => e.orderId,
      function declined(e, s) {
        s.set(stateOrNew(s, e.orderId)).compensate(`payment declined: ${e.reason}`);
      },
    )
    .startedBy(
      OrderPlaced,
      (e) => e.orderId,
      function placed(e, s) {
        const state = stateOrNew(s, e.orderId, true);
        if (state.stage === 'placed') return;
        // Once placed, money is given back by a refund, after which the customer hears of it.
        s.set({ ...state, stage: 'placed' })
          .cancel('order')
          .compensateWith(
            undo.event(
              OrderRefunded,
              { orderId: e.orderId, customer: e.customer, email: e.email, amount: e.total },
              { key: e.orderId },
            ),
          )
          .compensateWith(undo.command(RefundPayment, { orderId: e.orderId }));
      },
    )
    .on(
      ShipmentScheduled,
      (e) => e.orderId,
      async function shipped(_e, s) {
        // The order's row decides: a customer's cancel and this shipment may cross.
        const sql = s.tx as Queryable;
        await sql.query(
          `UPDATE shop_orders SET status = 'shipped', updated_at = now() WHERE order_id = $1 AND status = 'accepted'`,
          [s.id],
        );
        const status = await orderStatus(sql, s.id);
        if (status === 'shipped') return void s.complete();
        if (status === 'cancelled') return void placedFirst(s).compensate('cancelled before it shipped');
        throw new UnavailableError(`order ${s.id} is ${status ?? 'not written yet'}; its shipment is handled later`);
      },
    )
    .on(
      ShipmentFailed,
      (e) => e.orderId,
      async function shipmentFailed(e, s) {
        await (s.tx as Queryable).query(
          `UPDATE shop_orders SET status = 'cancelled', reason = $2, updated_at = now() WHERE order_id = $1 AND status = 'accepted'`,
          [s.id, `shipment failed: ${e.reason}`],
        );
        placedFirst(s).compensate(`shipment failed: ${e.reason}`);
      },
    )
    .on(
      OrderCancelled,
      (e) => e.orderId,
      function cancelled(_e, s) {
        placedFirst(s).compensate('cancelled by the customer');
      },
    )
    .onTimeout('order', async function expired(_t, s) {
      const sql = s.tx as Queryable;
      await lockOrder(sql, s.id);
      const status = await orderStatus(sql, s.id);
      // Placed just now: its orders.placed is on its way (it committed with the order).
      if (status === 'accepted' || status === 'shipped' || status === 'cancelled') return;
      const reason = `not placed within ${timeoutMs} ms of its reservation`;
      await markExpired(sql, s.id, reason);
      s.compensate(reason);
    });
}

/**
 * A placed order's compensation is a refund, which `orders.placed` adds; an event about it
 * that overtook `orders.placed` here waits for it (retried) rather than void a placed order.
 */
function placedFirst(s: SagaStep<State>): SagaStep<State> {
  if (s.state.stage !== 'placed')
    throw new UnavailableError(`order ${s.id}: orders.placed has not reached the saga yet; retrying`);
  return s;
}

async function orderStatus(sql: Queryable, orderId: string): Promise<string | undefined> {
  const found = await sql.query<{ status: string }>('SELECT status FROM shop_orders WHERE order_id = $1', [orderId]);
  return found.rows[0]?.status;
}
