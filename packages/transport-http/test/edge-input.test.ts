import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, defineQuery, service, silentLogger, type App } from '@tandem/core';
import { httpServer, type HttpServer } from '../src/index.js';
import { ordersService, startApp } from './fixtures.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw GET: the path goes out exactly as written, which fetch and undici would normalise or refuse. */
function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const BAD_PATHS = ['/orders/%', '/orders/%E0%A4%A', '/orders/%zz', '/orders/a%'];

async function expectMalformed(base: string): Promise<void> {
  for (const path of BAD_PATHS) {
    const res = await get(base, path);
    expect(res.status, path).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({
      code: 'TANDEM_MALFORMED_REQUEST',
      detail: expect.stringMatching(/'id'/),
    });
  }
  // A well-formed escape still decodes into the input.
  const ok = await get(base, '/orders/a%2Fb');
  expect(ok.status).toBe(200);
  expect(JSON.parse(ok.body)).toMatchObject({ id: 'a/b' });
}

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function mounted(): Promise<{ app: App; tandem: HttpServer }> {
  const tandem = httpServer({ listen: false, logger: silentLogger });
  const app = createApp({ services: [ordersService()], http: tandem, logger: silentLogger });
  await app.start();
  closers.push(() => app.stop());
  return { app, tandem };
}

describe('malformed percent-encoding in a :param route', () => {
  it('standalone: 400 malformed-request, not 500', async () => {
    const { app, url } = await startApp();
    closers.push(() => app.stop());
    await expectMalformed(url);
  });

  it('express: handler answers 400 and nothing throws into express', async () => {
    const { tandem } = await mounted();
    const web = express();
    web.use((req, res, next) => tandem.handler(req, res, next));
    const thrown: unknown[] = [];
    web.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      thrown.push(error);
      res.status(500).end();
    });
    const listener = web.listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    closers.push(() => new Promise((resolve) => listener.close(resolve)));
    await expectMalformed(`http://127.0.0.1:${(listener.address() as AddressInfo).port}`);
    expect(thrown).toEqual([]);
  });

  it('fastify: handles() claims the request without throwing, and the handler answers 400', async () => {
    const { tandem } = await mounted();
    const web = Fastify();
    const thrown: unknown[] = [];
    web.addHook('onRequest', (req, reply, done) => {
      let ours: boolean;
      try {
        ours = tandem.handles(req.raw);
      } catch (error) {
        thrown.push(error);
        throw error;
      }
      if (!ours) return done();
      reply.hijack();
      tandem.handler(req.raw, reply.raw);
    });
    await web.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => web.close());
    const base = `http://127.0.0.1:${(web.server.address() as AddressInfo).port}`;
    // fastify's router refuses some malformed paths itself (400) before onRequest; either way, 400.
    for (const path of BAD_PATHS) expect((await get(base, path)).status, path).toBe(400);
    expect(thrown).toEqual([]);
    // What the hook asks, asked directly: the path is Tandem's (its handler answers 400), and nothing throws.
    for (const path of BAD_PATHS) expect(tandem.handles({ method: 'GET', url: path } as IncomingMessage)).toBe(true);
  });

  it('no path, query or header throws out of handles() or the handler', async () => {
    const { tandem } = await mounted();
    const web = express();
    web.use((req, res, next) => tandem.handler(req, res, next));
    const thrown: unknown[] = [];
    web.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      thrown.push(error);
      res.status(500).end();
    });
    const listener = web.listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    closers.push(() => new Promise((resolve) => listener.close(resolve)));
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    const paths = [
      '/orders/%',
      '/orders/%00',
      '/orders/%C0%AF',
      '/orders/%E0%A4%A?id=%',
      '/queries/orders.get?id=%',
      '/queries/orders.get?input=%7B',
      '/queries/orders.get?input=%',
      '/queries/orders.get?%=%&&=',
      '/queries/orders.get??id=1',
      '/health/ready?%',
      '/%',
      '//',
    ];
    const headers: Record<string, string>[] = [
      {},
      { 'tandem-timeout-ms': '%' },
      { 'tandem-timeout-ms': '99999999999999999999999' },
      { traceparent: '00-%%-%%-01' },
      { 'idempotency-key': '%' },
    ];
    for (const path of paths)
      for (const h of headers) {
        const what = `${path} ${JSON.stringify(h)}`;
        expect(() => tandem.handles({ method: 'GET', url: path, headers: h } as IncomingMessage), what).not.toThrow();
        const res = await get(base, path, h);
        expect(res.status, what).toBeLessThan(500);
      }
    expect(thrown).toEqual([]);
  });
});

const Deadline = defineQuery('clock.deadline', {
  input: z.object({}),
  output: z.object({ inMs: z.number().nullable() }),
});

describe('tandem-timeout-ms', () => {
  async function clockApp(maxTimeoutMs?: number): Promise<string> {
    const svc = service('clock').query(Deadline, async (_input, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { inMs: ctx.meta.deadline === undefined ? null : ctx.meta.deadline - Date.now() };
    });
    const server = httpServer({
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      ...(maxTimeoutMs !== undefined ? { maxTimeoutMs } : {}),
    });
    const app = createApp({ services: [svc], http: server, logger: silentLogger });
    await app.start();
    closers.push(() => app.stop());
    return server.url!;
  }

  it('a deadline of 2^31 ms or more is clamped to the maximum (5 min by default), not a timeout at once', async () => {
    const url = await clockApp();
    for (const header of ['2147483648', '4294967296', '99999999999999999999999']) {
      const res = await get(url, '/queries/clock.deadline', { 'tandem-timeout-ms': header });
      expect(res.status, header).toBe(200);
      const { inMs } = JSON.parse(res.body) as { inMs: number };
      expect(inMs).toBeGreaterThan(5 * 60_000 - 30_000);
      expect(inMs).toBeLessThanOrEqual(5 * 60_000);
    }
  });

  it('clamps to the configured maxTimeoutMs', async () => {
    const url = await clockApp(1_000);
    const res = await get(url, '/queries/clock.deadline', { 'tandem-timeout-ms': '60000' });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { inMs: number }).inMs).toBeLessThanOrEqual(1_000);
  });

  it('ignores a value that is not a whole number of ms (no caller deadline)', async () => {
    const url = await clockApp();
    for (const header of ['-5', 'abc', '1e3', '', '10.5']) {
      const res = await get(url, '/queries/clock.deadline', { 'tandem-timeout-ms': header });
      expect(res.status, header).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ inMs: null });
    }
  });
});
