import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createApp, silentLogger, type App } from '@tandem/core';
import { httpServer, type HttpServer } from '../src/index.js';
import { ordersService } from './fixtures.js';

async function mountedApp(): Promise<{ app: App; tandem: HttpServer }> {
  const tandem = httpServer({ listen: false, logger: silentLogger });
  const app = createApp({ services: [ordersService()], http: tandem, logger: silentLogger });
  await app.start();
  return { app, tandem };
}

const place = (base: string, body: unknown) =>
  request(`${base}/commands/orders.place`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('http server mounted in other frameworks', () => {
  it('express: Tandem routes answer, problems keep their status, other routes reach express', async () => {
    const { app, tandem } = await mountedApp();
    closers.push(() => app.stop());
    const web = express();
    // Before any body parser: Tandem reads and limits the body itself.
    web.use((req, res, next) => tandem.handler(req, res, next));
    web.use(express.json());
    web.post('/legacy', (req, res) => void res.json({ legacy: true, got: req.body }));
    const listener = web.listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    closers.push(() => new Promise((resolve) => listener.close(resolve)));
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;

    const ok = await place(base, { sku: 'a', qty: 2 });
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.json()).toMatchObject({ orderId: expect.any(String), total: 20 });
    const bad = await place(base, { sku: '', qty: 0 });
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.json()).toMatchObject({ type: 'urn:tandem:problem:validation' });
    const legacy = await request(`${base}/legacy`, {
      method: 'POST',
      body: '{"x":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(await legacy.body.json()).toEqual({ legacy: true, got: { x: 1 } });
  });

  it('fastify: an onRequest hook hands Tandem its routes before fastify parses the body', async () => {
    const { app, tandem } = await mountedApp();
    closers.push(() => app.stop());
    const web = Fastify();
    web.addHook('onRequest', (req, reply, done) => {
      if (!tandem.handles(req.raw)) return done();
      reply.hijack();
      tandem.handler(req.raw, reply.raw);
    });
    web.post('/legacy', async (req) => ({ legacy: true, got: req.body }));
    await web.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => web.close());
    const base = `http://127.0.0.1:${(web.server.address() as AddressInfo).port}`;

    const ok = await place(base, { sku: 'a', qty: 2 });
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.json()).toMatchObject({ orderId: expect.any(String), total: 20 });
    const malformed = await request(`${base}/commands/orders.place`, {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(await malformed.body.json()).toMatchObject({ type: 'urn:tandem:problem:malformed-request' });
    const live = await request(`${base}/health/live`);
    expect(live.statusCode).toBe(200);
    await live.body.dump();
    const legacy = await request(`${base}/legacy`, {
      method: 'POST',
      body: '{"x":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(await legacy.body.json()).toEqual({ legacy: true, got: { x: 1 } });
  });
});
