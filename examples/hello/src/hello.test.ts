import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { eventually } from '@tandem/core/testing';
import { buildApp } from './app.js';

describe('hello example', () => {
  it('answers a placed order at once, and the shipment follows from the event', async () => {
    const { app, server } = await buildApp({
      TANDEM_HTTP_PORT: '0',
      TANDEM_HTTP_HOST: '127.0.0.1',
      TANDEM_LOG_LEVEL: 'silent',
      TANDEM_BROKER_URL: 'memory://hello-test',
    });
    await app.start();
    try {
      const url = server.url!;
      const placed = await request(`${url}/commands/orders.place`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customer: 'ada', items: [{ sku: 'tea', qty: 2 }] }),
      });
      expect(placed.statusCode).toBe(200);
      const { orderId, status } = (await placed.body.json()) as { orderId: string; status: string };
      expect(status).toBe('accepted');
      let shipment: unknown;
      await eventually('shipment', async () => {
        const res = await request(`${url}/queries/shipping.get?orderId=${orderId}`);
        shipment = await res.body.json();
        return res.statusCode === 200;
      });
      expect(shipment).toEqual({ orderId, status: 'shipped' });
    } finally {
      await app.stop();
    }
  });
});
