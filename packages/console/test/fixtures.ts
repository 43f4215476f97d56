import { request as httpRequest } from 'node:http';
import {
  createApp,
  defineCommand,
  defineEvent,
  MemoryBroker,
  MemoryTransport,
  NonRetryableError,
  silentLogger,
  type App,
  type SagaInstance,
  type SagaStatus,
  type Store,
} from '@tandem/core';
import { httpServer, type HttpMount } from '@tandem/transport-http';
import { z } from 'zod';
import { consoleApi, type ConsoleApiOptions } from '../src/index.js';

export const Pay = defineCommand('billing.pay', {
  service: 'billing',
  input: z.object({ orderId: z.string(), fail: z.boolean().optional() }),
  output: z.object({ ok: z.boolean() }),
  route: { method: 'POST', path: '/payments' },
});
export const Paid = defineEvent('billing.paid', {
  service: 'billing',
  data: z.object({ orderId: z.string(), fail: z.boolean() }),
});

export const Ship = defineCommand('shipping.ship', {
  service: 'shipping',
  input: z.object({ orderId: z.string() }),
  output: z.object({ shipped: z.boolean() }),
  route: { method: 'POST', path: '/shipments' },
});

/** A second app, `shipping` (one command), on an in-process broker of its own, with the console API. */
export async function startShipping(authorize?: ConsoleApiOptions['authorize']): Promise<{ app: App; url: string }> {
  const server = httpServer({
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    mounts: [consoleApi(authorize ? { authorize } : {})],
  });
  const app = createApp({
    broker: new MemoryTransport({ broker: new MemoryBroker() }),
    http: server,
    logger: silentLogger,
    name: 'shipping',
  });
  app.command(Ship, () => ({ shipped: true }));
  await app.start();
  return { app, url: server.url! };
}

/** A running app with the console API mounted, and its URL (the API's root). */
export interface Started {
  app: App;
  api: string;
  handled: string[];
  /** Holds the `ledger` group's handler (one delivery at a time) until the returned function is called: its events wait. */
  hold(): () => void;
}

/**
 * The `billing` app on an in-process broker of its own: `billing.pay` publishes
 * `billing.paid`, and its `ledger` group (one delivery at a time) dead-letters an event with
 * `fail: true` the first time it sees its order.
 */
export async function startBilling(
  options: ConsoleApiOptions = {},
  mounts: HttpMount[] = [],
  store?: Store,
): Promise<Started> {
  const handled: string[] = [];
  const declined = new Set<string>();
  let held: Promise<void> | undefined;
  const server = httpServer({
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    mounts: [consoleApi(options), ...mounts],
  });
  const app = createApp({
    broker: new MemoryTransport({ broker: new MemoryBroker() }),
    http: server,
    logger: silentLogger,
    name: 'billing',
    ...(store ? { store } : {}),
  });
  app.command(
    Pay,
    (input, ctx) => {
      void ctx.publish(Paid, { orderId: input.orderId, fail: input.fail === true });
      return { ok: true };
    },
    { publishes: [Paid] },
  );
  app.onEvent(
    Paid,
    async (event) => {
      await held;
      if (event.fail && !declined.has(event.orderId)) {
        declined.add(event.orderId);
        throw new NonRetryableError(`card declined for ${event.orderId}`);
      }
      handled.push(event.orderId);
    },
    { group: 'ledger', concurrency: 1 },
  );
  await app.start();
  const hold = () => {
    let release: () => void = () => undefined;
    held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      held = undefined;
      release();
    };
  };
  return { app, api: `${server.url!}/_tandem/api`, handled, hold };
}

/** A JSON answer: status and body. */
export async function getJson<T = Record<string, unknown>>(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

/** A GET with a Host header of the caller's choice (fetch always sends the URL's own). */
export function rawGet(port: number, path: string, host: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Writes a checkout saga instance straight into the store, as a running app's saga would
 * have left it: a parked one failed to void its payment (the compensation an operator retries).
 */
export async function seedSaga(store: Store, id: string, status: SagaStatus, at = Date.now()): Promise<void> {
  const parked = status === 'parked';
  const instance: SagaInstance = {
    saga: 'checkout',
    id,
    version: 1,
    status,
    state: { orderId: id, note: '<b>bold</b>' },
    data: {
      timeouts: {},
      compensations: [],
      pending: {},
      history: [{ at, input: 'orders.placed', messageId: `m-${id}`, status }],
      ...(parked
        ? {
            reason: 'payment failed',
            error: 'payments.void: gateway down',
            failed: { kind: 'command', name: 'payments.void', input: { orderId: id } },
          }
        : {}),
    },
    createdAt: at,
    updatedAt: at,
  };
  await store.transaction(async (tx) => {
    if (!(await store.sagas!.save(tx, instance, 0))) throw new Error(`saga instance ${id} already stored`);
  });
}
