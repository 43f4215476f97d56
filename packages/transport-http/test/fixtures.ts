import { z } from 'zod';
import {
  createApp,
  defineCommand,
  defineEvent,
  defineQuery,
  NotFoundError,
  service,
  silentLogger,
  type AppOptions,
} from '@tandem/core';
import { httpServer, type HttpServerOptions } from '../src/index.js';

export const PlaceOrder = defineCommand('orders.place', {
  input: z.object({ sku: z.string().min(1), qty: z.number().int().positive() }),
  output: z.object({ orderId: z.string(), total: z.number() }),
});
export const GetOrder = defineQuery('orders.get', {
  input: z.object({ id: z.string() }),
  output: z.object({ id: z.string(), status: z.string() }),
});
export const GetOrderRest = defineQuery('orders.byId', {
  input: z.object({ id: z.string() }),
  output: z.object({ id: z.string(), status: z.string() }),
  route: { method: 'GET', path: '/orders/:id' },
});
export const Slow = defineCommand('orders.slow', {
  input: z.object({ ms: z.number() }),
  output: z.object({ done: z.boolean(), aborted: z.boolean() }),
});
export const Broken = defineCommand('orders.broken', { input: z.object({}), output: z.object({ ok: z.boolean() }) });
export const OrderPlaced = defineEvent('orders.placed', { data: z.object({ orderId: z.string(), sku: z.string() }) });

export const orders = new Map<string, string>();

export function ordersService() {
  return service('orders')
    .command(PlaceOrder, async ({ sku, qty }, ctx) => {
      const orderId = `o-${orders.size + 1}`;
      orders.set(orderId, 'placed');
      await ctx.publish(OrderPlaced, { orderId, sku }, { key: orderId });
      return { orderId, total: qty * 10 };
    })
    .query(GetOrder, async ({ id }) => {
      const status = orders.get(id);
      if (!status) throw new NotFoundError(`order ${id} does not exist`);
      return { id, status };
    })
    .query(GetOrderRest, async ({ id }) => ({ id, status: orders.get(id) ?? 'unknown' }))
    .command(Slow, async ({ ms }, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { done: true, aborted: ctx.signal.aborted };
    })
    .command(Broken, async () => {
      throw new Error('database password is hunter2');
    });
}

export async function startApp(http: HttpServerOptions = {}, extra: Partial<AppOptions> = {}) {
  const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger, ...http });
  const app = createApp({ services: [ordersService()], http: server, logger: silentLogger, ...extra });
  await app.start();
  return { app, server, url: server.url! };
}
