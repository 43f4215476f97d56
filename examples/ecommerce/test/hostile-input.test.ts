import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tandem/core';
import { buildShop, type Shop } from '../src/shop.js';
import { anOrder, baseOf, getJson, placeOrder } from './support.js';

/**
 * Input a client controls that reached SQL: each one answered 500 (a NUL byte is SQLSTATE
 * 22021 in PostgreSQL; one SKU on two lines violated the reservations' primary key). The
 * contracts refuse them with 400 naming the field, and the shop's stock is untouched.
 */
describe('the shop refuses hostile input with 400, before any SQL', () => {
  let shop: Shop;
  let base: string;

  beforeAll(async () => {
    shop = await buildShop(
      {
        TANDEM_BROKER_URL: 'memory://shop-hostile',
        TANDEM_STORE_URL: 'pglite://memory',
        TANDEM_HTTP_PORT: '0',
        TANDEM_HTTP_HOST: '127.0.0.1',
      },
      { logger: silentLogger },
    );
    await shop.app.start();
    base = baseOf(shop);
  });
  afterAll(() => shop.app.stop());

  const stockOf = async (sku: string) =>
    (await getJson<{ available: number }>(`${base}/queries/inventory.stock?sku=${sku}`)).body.available;

  it.each([
    ['customer', { customer: 'ada\u0000' }],
    ['card', { card: '4242\u00004242' }],
    ['items.0.sku', { items: [{ sku: 'tea\u0000', qty: 1 }] }],
  ])('a NUL byte in %s', async (field, overrides) => {
    const placed = await placeOrder(base, anOrder(overrides));
    expect(placed.status).toBe(400);
    expect(JSON.stringify(placed.body)).toContain(field);
  });

  it('a NUL byte in a path parameter and in a query', async () => {
    const order = await request(`${base}/orders/a%00b`);
    expect(order.statusCode).toBe(400);
    await order.body.dump();
    const stock = await request(`${base}/queries/inventory.stock?sku=tea%00`);
    expect(stock.statusCode).toBe(400);
    await stock.body.dump();
  });

  it('one SKU on two lines, and no stock is taken', async () => {
    const before = await stockOf('tea');
    const placed = await placeOrder(
      base,
      anOrder({
        items: [
          { sku: 'tea', qty: 1 },
          { sku: 'tea', qty: 2 },
        ],
      }),
    );
    expect(placed.status).toBe(400);
    expect(JSON.stringify(placed.body)).toContain('each sku may appear once');
    expect(await stockOf('tea')).toBe(before);
  });

  it('more lines than an order may have, and strings past their bound', async () => {
    const lines = Array.from({ length: 21 }, (_, i) => ({ sku: `sku-${i}`, qty: 1 }));
    expect((await placeOrder(base, anOrder({ items: lines }))).status).toBe(400);
    expect((await placeOrder(base, anOrder({ customer: 'a'.repeat(101) }))).status).toBe(400);
  });

  it('the direct command inventory.reserve is bounded too', async () => {
    const res = await request(`${base}/commands/inventory.reserve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        orderId: 'o-1',
        items: Array.from({ length: 5_000 }, (_, i) => ({ sku: `s${i}`, qty: 1 })),
      }),
    });
    expect(res.statusCode).toBe(400);
    await res.body.dump();
  });
});
