import { createServer } from 'node:net';
import { request } from 'undici';
import type { SagaInstance } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import type { Queryable } from '@tandem/store-postgres';
import { FULFILMENT_SAGA } from '../src/sagas/order-fulfilment.js';
import type { Shop } from '../src/shop.js';

export interface Placed {
  orderId: string;
  status: string;
  reason?: string;
}

export async function placeOrder(
  base: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: Placed }> {
  const res = await request(`${base}/commands/orders.place`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Placed };
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await request(url);
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

export const anOrder = (overrides: Record<string, unknown> = {}) => ({
  customer: 'ada',
  email: 'ada@example.com',
  card: '4242-4242-4242-4242',
  items: [{ sku: 'tea', qty: 2 }],
  ...overrides,
});

/** Waits until the order is shipped and its two notifications (confirmed, shipped) are recorded. */
export async function untilShippedAndNotified(base: string, orderId: string, timeoutMs = 10_000): Promise<void> {
  await eventually(
    `order ${orderId} shipped and notified`,
    async () => {
      const order = await getJson<{ status: string }>(`${base}/orders/${orderId}`);
      const notes = await getJson<{ notifications: Array<{ kind: string }> }>(
        `${base}/queries/notifications.list?orderId=${orderId}`,
      );
      const kinds = notes.body.notifications.map((n) => n.kind).sort();
      return order.body.status === 'shipped' && kinds.join() === 'order-confirmed,shipped';
    },
    timeoutMs,
    25,
  );
}

export function baseOf(shop: Shop): string {
  return shop.server.url!;
}

/** The fulfilment saga's instance for an order, read from the shop's store. */
export async function fulfilmentOf(shop: Shop, orderId: string): Promise<SagaInstance | undefined> {
  return shop.config.store!.sagas!.get(FULFILMENT_SAGA, orderId);
}

/** Rows read straight from the shop's database (each service's own tables). */
export async function rowsOf<R>(shop: Shop, sql: string, params: unknown[] = []): Promise<R[]> {
  return shop.config.store!.transaction(async (tx) => (await (tx as Queryable).query<R>(sql, params)).rows);
}

/**
 * The first of `count` consecutive ports that are free now, below Linux's ephemeral range
 * (32768+): there other programs' `listen(0)` and outgoing connections take theirs, so a
 * port picked in it can be taken before the service binds it (a CI run lost the shop's
 * inventory that way).
 */
export async function freePortRun(count: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count));
    let free = true;
    for (let port = base; free && port < base + count; port++) free = await canListen(port);
    if (free) return base;
  }
}

function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
