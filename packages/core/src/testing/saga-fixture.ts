/**
 * A checkout saga and the services it drives, for the saga suites: reserve stock, authorize
 * a payment within a deadline, wait for shipment; release and void (and notify) when any of
 * it fails. The services keep their effects in maps the tests read, and each can be told
 * to fail, so that every path of the saga is reachable from a test.
 */
import { z } from 'zod';
import { defineCommand, defineEvent } from '../contracts/contracts.js';
import { ConflictError, UnavailableError } from '../errors/errors.js';
import { service, type ServiceDefinition } from '../runtime/service.js';
import { saga, type SagaBuilder } from '../sagas/define.js';
import { undo } from '../sagas/step.js';
import { uniqueSegment } from './store-harness.js';

/**
 * Attempts of each checkout step and command. Generous, so that an event that overtook the
 * one starting its instance (retried until the instance exists) waits out a loaded broker.
 */
export const CHECKOUT_ATTEMPTS = 8;

/** How a fixture service behaves on its next calls. */
export type PaymentMode = 'ok' | 'decline' | 'slow' | 'unavailable';
/** How the fixture's stock service answers releases: 'fail' keeps failing them (a compensation that parks). */
export type ReleaseMode = 'ok' | 'fail';

/** The checkout saga's state. */
export const CheckoutState = z.object({
  orderId: z.string(),
  amount: z.number(),
  stage: z.enum(['reserving', 'paying', 'shipping']),
  paymentId: z.string().optional(),
  /** Delivery was reported before the payment's reply came. */
  delivered: z.boolean().optional(),
});

/** A fresh checkout world: unique names, its own effect maps and switches. */
/** Options of checkoutWorld. */
export interface CheckoutOptions {
  paymentTimeoutMs?: number;
  slowPaymentMs?: number;
  /** Called in each command's run with its transaction, to count the runs that commit. */
  onRun?: (tx: unknown, run: { command: string; orderId: string }) => void | Promise<void>;
}

/** A new checkout world: its contracts, services, saga, effect maps and failure switches. */
export function checkoutWorld(options: CheckoutOptions = {}) {
  const p = uniqueSegment('shop');
  const stockSvc = `${p}-stock`;
  const paySvc = `${p}-pay`;
  const Placed = defineEvent(`${p}.placed`, {
    data: z.object({ orderId: z.string(), amount: z.number() }),
  });
  const Delivered = defineEvent(`${p}.delivered`, { data: z.object({ orderId: z.string() }) });
  const ShipmentFailed = defineEvent(`${p}.shipment-failed`, { data: z.object({ orderId: z.string() }) });
  const Confirmed = defineEvent(`${p}.confirmed`, { data: z.object({ orderId: z.string() }) });
  const Cancelled = defineEvent(`${p}.cancelled`, { data: z.object({ orderId: z.string() }) });
  const Reserve = defineCommand(`${stockSvc}.reserve`, {
    input: z.object({ orderId: z.string() }),
    output: z.object({ reserved: z.boolean() }),
  });
  const Release = defineCommand(`${stockSvc}.release`, {
    input: z.object({ orderId: z.string() }),
    output: z.object({ released: z.boolean() }),
  });
  const Authorize = defineCommand(`${paySvc}.authorize`, {
    input: z.object({ orderId: z.string(), amount: z.number() }),
    output: z.object({ paymentId: z.string() }),
  });
  const Void = defineCommand(`${paySvc}.void`, {
    input: z.object({ orderId: z.string() }),
    output: z.object({ voided: z.boolean() }),
  });

  const world = {
    prefix: p,
    contracts: { Placed, Delivered, ShipmentFailed, Confirmed, Cancelled, Reserve, Release, Authorize, Void },
    /** orderId → what the stock service holds for it. */
    stock: new Map<string, 'reserved' | 'released'>(),
    /** orderId → what the payment service holds for it. */
    payments: new Map<string, 'authorized' | 'voided'>(),
    /** Every run of each command, by order (a run rolled back by its caller counts too). */
    runs: [] as Array<{ command: string; orderId: string }>,
    paymentMode: 'ok' as PaymentMode,
    releaseMode: 'ok' as ReleaseMode,
  };

  const services: ServiceDefinition[] = [
    service(stockSvc)
      .command(Reserve, async ({ orderId }, ctx) => {
        world.runs.push({ command: 'reserve', orderId });
        await options.onRun?.(ctx.tx, { command: 'reserve', orderId });
        world.stock.set(orderId, 'reserved');
        return { reserved: true };
      })
      .command(Release, async ({ orderId }, ctx) => {
        world.runs.push({ command: 'release', orderId });
        await options.onRun?.(ctx.tx, { command: 'release', orderId });
        if (world.releaseMode === 'fail') throw new UnavailableError('stock service is down for releases');
        const held = world.stock.get(orderId) === 'reserved';
        if (held) world.stock.set(orderId, 'released');
        return { released: held };
      }),
    service(paySvc)
      .command(Authorize, async ({ orderId }, ctx) => {
        world.runs.push({ command: 'authorize', orderId });
        await options.onRun?.(ctx.tx, { command: 'authorize', orderId });
        if (world.paymentMode === 'decline') throw new ConflictError(`card declined for ${orderId}`);
        if (world.paymentMode === 'unavailable') throw new UnavailableError('payment provider unreachable');
        if (world.paymentMode === 'slow') await new Promise((r) => setTimeout(r, options.slowPaymentMs ?? 1_500));
        world.payments.set(orderId, 'authorized');
        return { paymentId: `pay-${orderId}` };
      })
      .command(Void, async ({ orderId }, ctx) => {
        world.runs.push({ command: 'void', orderId });
        await options.onRun?.(ctx.tx, { command: 'void', orderId });
        const held = world.payments.get(orderId) === 'authorized';
        if (held) world.payments.set(orderId, 'voided');
        return { voided: held };
      }),
  ];

  const checkout: SagaBuilder<typeof CheckoutState> = saga(`${p}.checkout`, {
    state: CheckoutState,
    sends: [Release, Void],
    retry: { attempts: CHECKOUT_ATTEMPTS, immediateRetries: 1, initialDelayMs: 100, maxDelayMs: 1_000, jitter: 'none' },
  })
    .startedBy(
      Placed,
      (e) => e.orderId,
      function start(e, s) {
        // A second start for this order (a producer sent it again under a new id) changes nothing.
        if (s.state) return;
        s.set({ orderId: e.orderId, amount: e.amount, stage: 'reserving' })
          // The first undo declared runs last: the customer hears after everything was undone.
          .compensateWith(undo.event(Cancelled, { orderId: e.orderId }, { key: e.orderId }))
          .send(Reserve, { orderId: e.orderId }, { undo: undo.command(Release, { orderId: e.orderId }) })
          .schedule('payment', options.paymentTimeoutMs ?? 10_000);
      },
    )
    .onReply(Reserve, function reserved(reply, s) {
      if (!reply.ok) return void s.compensate(`no stock: ${reply.error.message}`);
      s.set({ ...s.state, stage: 'paying' }).send(
        Authorize,
        { orderId: s.state.orderId, amount: s.state.amount },
        { undo: undo.command(Void, { orderId: s.state.orderId }) },
      );
    })
    .onReply(Authorize, function authorized(reply, s) {
      if (!reply.ok) return void s.compensate(`payment failed: ${reply.error.message}`);
      s.set({ ...s.state, stage: 'shipping', paymentId: reply.output.paymentId })
        .cancel('payment')
        .publish(Confirmed, { orderId: s.state.orderId }, { key: s.state.orderId });
      if (s.state.delivered) s.complete();
    })
    .on(
      Delivered,
      (e) => e.orderId,
      function delivered(_e, s) {
        // Delivered before the payment went through overtook other messages: noted, and the
        // saga completes when the payment's reply comes.
        if (s.state.stage !== 'shipping') return void s.set({ ...s.state, delivered: true });
        s.complete();
      },
    )
    .on(
      ShipmentFailed,
      (e) => e.orderId,
      function shipmentFailed(_e, s) {
        s.compensate('shipment failed');
      },
    )
    .onTimeout('payment', function paymentTimedOut(_t, s) {
      s.compensate('payment timed out');
    });

  return Object.assign(world, { services, checkout });
}

/** What checkoutWorld returns. */
export type CheckoutWorld = ReturnType<typeof checkoutWorld>;
