// The event of the latency workload, for both sides: the order of http-overhead/payload.mjs
// plus its sequence number and the publisher's send time (ms since the epoch, sub-ms
// precision from performance.now(), so two processes on one machine compare).
import { z } from 'zod';
import { PlaceOrder } from '../http-overhead/payload.mjs';

export const OrderSent = PlaceOrder.extend({ seq: z.number().int().nonnegative(), sentAt: z.number() });

export const url = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const name = process.env.BENCH_NAME ?? 'bench-latency';
export const rate = Number(process.env.BENCH_RATE ?? 2_000);
/** Messages sent before the measured ones, so JIT warm-up and connection set-up are not measured. */
export const warm = Number(process.env.BENCH_WARM ?? 6_000);
export const measured = Number(process.env.BENCH_MEASURED ?? 10_000);
export const total = warm + measured;
export const topic = 'orders.sent';
export const rawExchange = `${name}.raw-events`;
export const rawQueue = `${name}.raw`;

export const now = () => performance.timeOrigin + performance.now();

export function order(seq) {
  return {
    customerId: 'c-42',
    items: [
      { sku: 'sku-1', quantity: 1, price: 9.5 },
      { sku: 'sku-2', quantity: 2, price: 19 },
      { sku: 'sku-3', quantity: 3, price: 4.25 },
    ],
    seq,
    sentAt: now(),
  };
}

/**
 * Calls `send(seq)` at a steady `rate` per second until `total` were sent: every
 * millisecond timer tick sends the messages that are due by then (two at 2,000/s), so
 * there are no bursts for the consumer to queue behind.
 */
export function paced(send) {
  return new Promise((resolve) => {
    const started = performance.now();
    let sent = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000));
      while (sent < due) send(sent++);
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
}
