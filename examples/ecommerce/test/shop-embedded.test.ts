import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tandem/core';
import { main as tandem } from '@tandem/core/cli';
import { eventually } from '@tandem/core/testing';
import { buildShop, type Shop } from '../src/shop.js';
import { DECLINED_CARD } from '../src/services/payments.js';
import { anOrder, baseOf, getJson, placeOrder, untilShippedAndNotified } from './support.js';

describe('shop on the embedded defaults (in-process broker, PGlite)', () => {
  let shop: Shop;
  let base: string;

  beforeAll(async () => {
    shop = await buildShop(
      {
        TANDEM_BROKER_URL: 'memory://shop-embedded',
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

  it('answers at once, then ships and notifies within a second', async () => {
    const started = Date.now();
    const placed = await placeOrder(base, anOrder());
    expect(placed.status).toBe(200);
    expect(placed.body.status).toBe('accepted');
    await untilShippedAndNotified(base, placed.body.orderId, 1_000);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('rejects a declined card, puts the stock back, and tells the customer', async () => {
    const before = await getJson<{ available: number }>(`${base}/queries/inventory.stock?sku=mug`);
    const placed = await placeOrder(base, anOrder({ card: DECLINED_CARD, items: [{ sku: 'mug', qty: 3 }] }));
    expect(placed.body).toMatchObject({ status: 'rejected', reason: 'payment declined' });
    // The fulfilment saga gives the stock back when it hears of the decline.
    await eventually(
      'the mugs back in stock',
      async () =>
        (await getJson<{ available: number }>(`${base}/queries/inventory.stock?sku=mug`)).body.available ===
        before.body.available,
      5_000,
      25,
    );
  });

  it('rejects an order for stock that is not there, with the SKU named', async () => {
    const first = await placeOrder(base, anOrder({ items: [{ sku: 'rare-vinyl', qty: 1 }] }));
    expect(first.body.status).toBe('accepted');
    const second = await placeOrder(base, anOrder({ items: [{ sku: 'rare-vinyl', qty: 1 }] }));
    expect(second.body).toMatchObject({ status: 'rejected', reason: expect.stringContaining("'rare-vinyl'") });
  });

  it('takes no stock at all when one line of an order is short (the call rolls back alone)', async () => {
    const before = await getJson<{ available: number }>(`${base}/queries/inventory.stock?sku=coffee`);
    const placed = await placeOrder(
      base,
      anOrder({
        items: [
          { sku: 'coffee', qty: 4 },
          { sku: 'rare-vinyl', qty: 2 },
        ],
      }),
    );
    expect(placed.body.status).toBe('rejected');
    const after = await getJson<{ available: number }>(`${base}/queries/inventory.stock?sku=coffee`);
    expect(after.body.available).toBe(before.body.available);
    const order = await getJson<{ status: string }>(`${base}/orders/${placed.body.orderId}`);
    expect(order.body.status).toBe('rejected');
  });

  it("shows the in-process broker's dead letters to `tandem dead-letters list --app`, as its README says", async () => {
    const placed = await placeOrder(base, anOrder({ email: 'grace@bounce.test' }));
    expect(placed.body.status).toBe('accepted');
    const out: string[] = [];
    const io = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => out.push(t) },
      env: {},
    };
    await eventually(
      'the bounced e-mails among the notifications group’s dead letters',
      async () => {
        out.length = 0;
        expect(await tandem(['dead-letters', 'list', '--group', 'notifications', '--app', base, '--json'], io)).toBe(0);
        return (
          out
            .join('')
            .split('\n')
            .filter((l) => l.includes('grace@bounce.test')).length === 2
        );
      },
      10_000,
      100,
    );
  });
});
