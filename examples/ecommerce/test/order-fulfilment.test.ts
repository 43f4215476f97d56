/**
 * The fulfilment saga on the embedded defaults (in-process broker, PGlite): every way an
 * order can end, and what it leaves behind. Whether the stock and the payment were given back
 * is read from the services' own tables, not from the saga.
 */
import { createServer } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { buildShop, type Shop } from '../src/shop.js';
import { DECLINED_CARD } from '../src/services/payments.js';
import { anOrder, baseOf, fulfilmentOf, getJson, placeOrder, rowsOf, untilShippedAndNotified } from './support.js';

const embedded = (name: string, extra: Record<string, string> = {}) => ({
  TANDEM_BROKER_URL: `memory://${name}`,
  TANDEM_STORE_URL: 'pglite://memory',
  TANDEM_HTTP_PORT: '0',
  TANDEM_HTTP_HOST: '127.0.0.1',
  ...extra,
});

async function untilSaga(shop: Shop, orderId: string, status: string): Promise<void> {
  await eventually(
    `saga of order ${orderId} ${status}`,
    async () => (await fulfilmentOf(shop, orderId))?.status === status,
    10_000,
    25,
  );
}

async function reservationsOf(shop: Shop, orderId: string) {
  return rowsOf<{ sku: string; released: boolean }>(
    shop,
    'SELECT sku, released FROM shop_reservations WHERE order_id = $1',
    [orderId],
  );
}

async function paymentOf(shop: Shop, orderId: string) {
  return (await rowsOf<{ status: string }>(shop, 'SELECT status FROM shop_payments WHERE order_id = $1', [orderId]))[0]
    ?.status;
}

describe('the fulfilment saga, in one process', () => {
  let shop: Shop;
  let base: string;

  beforeAll(async () => {
    shop = await buildShop(embedded('fulfilment'), { logger: silentLogger });
    await shop.app.start();
    base = baseOf(shop);
  });
  afterAll(() => shop.app.stop());

  it('completes once the order is placed and shipped, keeping the stock taken and the payment', async () => {
    const placed = await placeOrder(base, anOrder({ items: [{ sku: 'coffee', qty: 2 }] }));
    expect(placed.body.status).toBe('accepted');
    await untilShippedAndNotified(base, placed.body.orderId);
    await untilSaga(shop, placed.body.orderId, 'completed');
    expect(await reservationsOf(shop, placed.body.orderId)).toEqual([{ sku: 'coffee', released: false }]);
    expect(await paymentOf(shop, placed.body.orderId)).toBe('authorized');
  });

  it('gives the stock back when the card is declined', async () => {
    const before = await getJson<{ available: number }>(`${base}/queries/inventory.stock?sku=mug`);
    const placed = await placeOrder(base, anOrder({ card: DECLINED_CARD, items: [{ sku: 'mug', qty: 4 }] }));
    expect(placed.body).toMatchObject({ status: 'rejected', reason: 'payment declined' });
    await untilSaga(shop, placed.body.orderId, 'compensated');
    expect(await reservationsOf(shop, placed.body.orderId)).toEqual([{ sku: 'mug', released: true }]);
    const after = await getJson<{ available: number }>(`${base}/queries/inventory.stock?sku=mug`);
    expect(after.body.available).toBe(before.body.available);
    expect(await paymentOf(shop, placed.body.orderId)).toBe('declined');
  });

  it('refunds, gives the stock back and tells the customer when the shipment fails', async () => {
    const before = await getJson<{ available: number }>(`${base}/queries/inventory.stock?sku=piano`);
    const placed = await placeOrder(base, anOrder({ items: [{ sku: 'piano', qty: 1 }] }));
    expect(placed.body.status).toBe('accepted');
    const orderId = placed.body.orderId;
    await untilSaga(shop, orderId, 'compensated');
    expect(await paymentOf(shop, orderId)).toBe('refunded');
    expect(await reservationsOf(shop, orderId)).toEqual([{ sku: 'piano', released: true }]);
    const after = await getJson<{ available: number }>(`${base}/queries/inventory.stock?sku=piano`);
    expect(after.body.available).toBe(before.body.available);
    const order = await getJson<{ status: string; reason: string }>(`${base}/orders/${orderId}`);
    expect(order.body).toMatchObject({ status: 'cancelled', reason: "shipment failed: no carrier takes 'piano'" });
    await eventually(
      'the customer told of the refund',
      async () => {
        const notes = await getJson<{ notifications: Array<{ kind: string; text: string }> }>(
          `${base}/queries/notifications.list?orderId=${orderId}`,
        );
        return notes.body.notifications.some((n) => n.kind === 'refunded' && n.text.includes('3000.00'));
      },
      5_000,
      25,
    );
  });
});

describe('the fulfilment saga when the customer cancels', () => {
  // No shipping service in this shop: the order stays unshipped, so the cancel always comes first.
  let shop: Shop;

  beforeAll(async () => {
    shop = await buildShop(
      embedded('fulfilment-cancel', { SHOP_SERVICES: 'orders,inventory,payments,notifications' }),
      {
        logger: silentLogger,
      },
    );
    await shop.app.start();
  });
  afterAll(() => shop.app.stop());

  it('refunds, gives the stock back and tells the customer', async () => {
    const placed = await placeOrder(baseOf(shop), anOrder({ items: [{ sku: 'tea', qty: 3 }] }));
    const orderId = placed.body.orderId;
    expect(placed.body.status).toBe('accepted');
    // Cancelled right away: the saga may not have heard of orders.placed yet, and waits for it.
    const res = await request(`${baseOf(shop)}/orders/${orderId}/cancel`, { method: 'POST' });
    expect(await res.body.json()).toMatchObject({ status: 'cancelled' });
    await untilSaga(shop, orderId, 'compensated');
    expect(await paymentOf(shop, orderId)).toBe('refunded');
    expect(await reservationsOf(shop, orderId)).toEqual([{ sku: 'tea', released: true }]);
    const notes = await getJson<{ notifications: Array<{ kind: string }> }>(
      `${baseOf(shop)}/queries/notifications.list?orderId=${orderId}`,
    );
    expect(notes.body.notifications.map((n) => n.kind)).toContain('refunded');
  });
});

/** A port nothing listens on: the payments service "down". */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the fulfilment saga when the payment call fails after the reservation', () => {
  // Inventory answers over HTTP from a shop of its own, so its reservation commits whatever
  // happens to orders.place; payments is at an address where nothing listens.
  let stock: Shop;
  let shop: Shop;
  let payments: Shop | undefined;
  let paymentsPort: number;
  const ORDER_TIMEOUT_MS = 1_500;

  beforeAll(async () => {
    stock = await buildShop(embedded('payments-down', { SHOP_SERVICES: 'inventory' }), { logger: silentLogger });
    await stock.app.start();
    shop = await buildShop(
      embedded('payments-down', {
        SHOP_SERVICES: 'orders,shipping,notifications',
        SHOP_ORDER_TIMEOUT_MS: String(ORDER_TIMEOUT_MS),
        TANDEM_SERVICE_INVENTORY_URL: baseOf(stock),
        TANDEM_SERVICE_PAYMENTS_URL: `http://127.0.0.1:${(paymentsPort = await closedPort())}`,
      }),
      { logger: silentLogger },
    );
    await shop.app.start();
  });
  afterAll(async () => {
    await shop?.app.stop();
    await payments?.app.stop();
    await stock?.app.stop();
  });

  it('gives the stock back once the order timeout has passed, and answers a late retry of the order as expired', async () => {
    const before = await getJson<{ available: number }>(`${baseOf(stock)}/queries/inventory.stock?sku=mug`);
    const order = anOrder({ customer: 'late', items: [{ sku: 'mug', qty: 5 }] });
    const started = Date.now();
    const attempt = await placeWithKey(baseOf(shop), order, 'late-1');
    expect(attempt.status).toBeGreaterThanOrEqual(500);
    const [held] = await rowsOf<{ order_id: string; released: boolean }>(
      stock,
      `SELECT order_id, released FROM shop_reservations WHERE sku = 'mug'`,
    );
    expect(held).toMatchObject({ released: false });
    const orderId = held!.order_id;
    await eventually(
      'the reservation released',
      async () => (await reservationsOf(stock, orderId)).every((r) => r.released),
      10_000,
      25,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(ORDER_TIMEOUT_MS);
    const after = await getJson<{ available: number }>(`${baseOf(stock)}/queries/inventory.stock?sku=mug`);
    expect(after.body.available).toBe(before.body.available);
    // The stock went back first; the void waits for payments (retried, then parked for an operator).
    const saga = await fulfilmentOf(shop, orderId);
    expect(saga?.data.reason).toMatch(/not placed within 1500 ms/);
    expect(Object.values(saga!.data.pending).map((p) => p.command)).toEqual(['payments.void']);
    // The customer's client retries with the same key: that order is over, not placed now.
    const retry = await placeWithKey(baseOf(shop), order, 'late-1');
    expect(retry.body).toMatchObject({ orderId, status: 'rejected', reason: expect.stringMatching(/^expired: /) });

    // Payments comes back: the void goes through (recorded, as no authorisation ever came) and the saga ends.
    payments = await buildShop(
      embedded('payments-down', { SHOP_SERVICES: 'payments', TANDEM_HTTP_PORT: String(paymentsPort) }),
      { logger: silentLogger },
    );
    await payments.app.start();
    await eventually(
      'the saga compensated once payments answers',
      async () => (await fulfilmentOf(shop, orderId))?.status === 'compensated',
      30_000,
      100,
    );
    expect(await paymentOf(payments, orderId)).toBe('voided');
  });
});

async function placeWithKey(base: string, body: Record<string, unknown>, key: string) {
  const res = await request(`${base}/commands/orders.place`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as { orderId: string; status: string } };
}
