/**
 * Both sides of orders.placed version 2, in one running shop (embedded defaults, every
 * service, analytics too): a version-1 message, as an orders service not yet upgraded
 * publishes it, reaches the version-2 consumers upcast (currency EUR); and shipping, still
 * on its copy of version 1, handles the version-2 messages the upgraded orders service
 * publishes. Nothing is dead-lettered on the way.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { OrderPlaced } from '../src/contracts/index.js';
import { OrderPlacedV1 } from '../src/contracts/orders-placed-v1.js';
import { ALL_SERVICES, buildShop, type Shop } from '../src/shop.js';
import { analyticsOf, ordersCounted, type HourRevenue } from './analytics-support.js';
import { anOrder, baseOf, getJson, placeOrder, untilShippedAndNotified } from './support.js';

const HOUR = 60 * 60_000;

interface Notification {
  kind: string;
  text: string;
}

async function notificationsOf(base: string, orderId: string): Promise<Notification[]> {
  return (await getJson<{ notifications: Notification[] }>(`${base}/queries/notifications.list?orderId=${orderId}`))
    .body.notifications;
}

describe('orders.placed: version 1 and version 2 side by side', () => {
  let shop: Shop;
  let base: string;

  beforeAll(async () => {
    shop = await buildShop(
      {
        TANDEM_BROKER_URL: `memory://shop-versions-${randomUUID()}`,
        TANDEM_STORE_URL: 'pglite://memory',
        TANDEM_HTTP_PORT: '0',
        TANDEM_HTTP_HOST: '127.0.0.1',
        SHOP_SERVICES: ALL_SERVICES.join(','),
      },
      { logger: silentLogger },
    );
    await shop.app.start();
    base = baseOf(shop);
  });
  afterAll(() => shop.app.stop());

  it('declares version 2 with an upcaster from 1, and the shipping copy as version 1 accepting newer', () => {
    expect(OrderPlaced.version).toBe(2);
    expect([...(OrderPlaced.olderVersions?.keys() ?? [])]).toEqual([1]);
    expect(OrderPlacedV1).toMatchObject({ name: 'orders.placed', version: 1, accepts: 'newer' });
  });

  it('upcasts a version-1 event for the version-2 consumers: notifications and analytics see EUR', async () => {
    const orderId = randomUUID();
    const publishedFrom = Date.now();
    // What an orders service still on version 1 publishes: no currency, no placedAt. Sent
    // twice under two event ids (as a replay beyond the inbox's retention would), then one
    // more order with the same key, so it is handled after both.
    const v1 = { orderId, customer: 'ada', email: 'ada@example.com', items: [{ sku: 'tea', qty: 3 }], total: 13.5 };
    await shop.app.publish(OrderPlacedV1, v1, { key: orderId });
    await shop.app.publish(OrderPlacedV1, v1, { key: orderId });
    const next = { ...v1, orderId: randomUUID(), items: [{ sku: 'coffee', qty: 1 }], total: 7.25 };
    await shop.app.publish(OrderPlacedV1, next, { key: orderId });
    const publishedBy = Date.now();
    await eventually(
      'the confirmation of the version-1 order',
      async () => (await notificationsOf(base, orderId)).some((n) => n.kind === 'order-confirmed'),
      10_000,
      25,
    );
    const confirmed = (await notificationsOf(base, orderId)).find((n) => n.kind === 'order-confirmed');
    expect(confirmed!.text).toBe('Thanks ada, your order of 13.50 EUR is confirmed.');

    let revenue: HourRevenue[] = [];
    await eventually(
      'analytics counted the order after the version-1 one',
      async () => ordersCounted((revenue = (await analyticsOf(base)).revenue)) >= 2,
      10_000,
      25,
    );
    // Counted once each, in euros; without placedAt, in the hour the event was published.
    expect(ordersCounted(revenue)).toBe(2);
    expect(revenue.reduce((sum, h) => sum + h.revenue, 0)).toBe(20.75);
    const hours = [publishedFrom, publishedBy].map((t) => new Date(Math.floor(t / HOUR) * HOUR).toISOString());
    for (const h of revenue) {
      expect(h.currency).toBe('EUR');
      expect(hours).toContain(h.hour);
    }
    expect((await analyticsOf(base)).topSkus).toEqual([
      { sku: 'tea', units: 3, orders: 1 },
      { sku: 'coffee', units: 1, orders: 1 },
    ]);
    await expectNoDeadLetters();
  });

  it('lets shipping, still on version 1, handle the version-2 events of the upgraded orders service', async () => {
    const placed = await placeOrder(base, anOrder({ items: [{ sku: 'mug', qty: 2 }] }));
    expect(placed.body.status).toBe('accepted');
    const orderId = placed.body.orderId;
    // Shipped: shipping took the version-2 event as its version 1 and scheduled the parcel.
    await untilShippedAndNotified(base, orderId);
    const shipment = await getJson<{ status: string; tracking: string }>(
      `${base}/queries/shipping.get?orderId=${orderId}`,
    );
    expect(shipment.body).toMatchObject({ status: 'scheduled', tracking: expect.stringMatching(/^TRK-/) });
    const confirmed = (await notificationsOf(base, orderId)).find((n) => n.kind === 'order-confirmed');
    expect(confirmed!.text).toBe('Thanks ada, your order of 24.00 EUR is confirmed.');
    await eventually(
      'analytics counted the version-2 order too',
      async () => (await analyticsOf(base)).topSkus.some((s) => s.sku === 'mug' && s.units === 2),
      10_000,
      25,
    );
    await expectNoDeadLetters();
  });

  async function expectNoDeadLetters(): Promise<void> {
    const access = shop.app.broker.deadLetters!;
    for (const group of ['shipping', 'notifications', 'analytics']) expect(await access.list(group)).toEqual([]);
  }
});
