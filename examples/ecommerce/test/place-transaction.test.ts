/**
 * `orders.place` holds no transaction of its own while it calls inventory and payments: its
 * transaction opens after the calls, for the order's writes. In one process, where a call
 * made inside the caller's transaction would join it, the calls run in transactions of
 * their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Invocation, type Middleware } from '@tandem/core';
import { buildShop, type Shop } from '../src/shop.js';
import { DECLINED_CARD } from '../src/services/payments.js';
import { anOrder, baseOf, getJson, placeOrder } from './support.js';

describe('orders.place and its transaction', () => {
  let shop: Shop;
  let base: string;
  const calls: Array<{ name: string; joined: boolean }> = [];
  const recordCalls: Middleware<Invocation> = (inv, next) => {
    if (inv.contract.name === 'inventory.reserve' || inv.contract.name === 'payments.authorize')
      calls.push({ name: inv.contract.name, joined: inv.joined !== undefined });
    return next();
  };

  beforeAll(async () => {
    shop = await buildShop(
      {
        TANDEM_BROKER_URL: 'memory://place-transaction',
        TANDEM_STORE_URL: 'pglite://memory',
        TANDEM_HTTP_PORT: '0',
        TANDEM_HTTP_HOST: '127.0.0.1',
      },
      { logger: silentLogger, middleware: [recordCalls] },
    );
    await shop.app.start();
    base = baseOf(shop);
  });
  afterAll(() => shop.app.stop());

  it('calls inventory and payments before its transaction opens, then writes the order', async () => {
    calls.length = 0;
    const placed = await placeOrder(base, anOrder({ items: [{ sku: 'coffee', qty: 1 }] }));
    expect(placed.body.status).toBe('accepted');
    expect(calls).toEqual([
      { name: 'inventory.reserve', joined: false },
      { name: 'payments.authorize', joined: false },
    ]);
    const order = await getJson<{ status: string }>(`${base}/orders/${placed.body.orderId}`);
    expect(['accepted', 'shipped']).toContain(order.body.status);
  });

  it('records a refused order in the same short transaction', async () => {
    const placed = await placeOrder(base, anOrder({ card: DECLINED_CARD }));
    expect(placed.body).toMatchObject({ status: 'rejected', reason: 'payment declined' });
    const order = await getJson<{ status: string; reason: string }>(`${base}/orders/${placed.body.orderId}`);
    expect(order.body).toMatchObject({ status: 'rejected', reason: 'payment declined' });
  });
});
