import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { Client, request } from 'undici';
import {
  createApp,
  defineCommand,
  ForbiddenError,
  service,
  AbortedError,
  silentLogger,
  UnauthorizedError,
} from '@tandem/core';
import { httpServer } from '../src/index.js';
import { ordersService, startApp } from './fixtures.js';

const place = (url: string, body = { sku: 'a', qty: 1 }, headers: Record<string, string> = {}) =>
  request(`${url}/commands/orders.place`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('http server: auth hook', () => {
  it('passes the principal to the handler, and maps 401/403 from the hook', async () => {
    const { app, url } = await startApp({
      auth: ({ headers }) => {
        if (!headers.authorization) throw new UnauthorizedError('send Authorization: Bearer <token>');
        if (headers.authorization === 'Bearer guest') throw new ForbiddenError('guests cannot place orders');
        return headers.authorization.slice('Bearer '.length);
      },
    });
    try {
      const none = await place(url);
      expect(none.statusCode).toBe(401);
      expect(await none.body.json()).toMatchObject({
        type: 'urn:tandem:problem:unauthorized',
        code: 'TANDEM_UNAUTHORIZED',
      });
      const guest = await place(url, undefined, { authorization: 'Bearer guest' });
      expect(guest.statusCode).toBe(403);
      await guest.body.dump();
      const ok = await place(url, undefined, { authorization: 'Bearer alice' });
      expect(ok.statusCode).toBe(200);
      await ok.body.dump();
      const health = await request(`${url}/health/live`);
      expect(health.statusCode).toBe(200);
      await health.body.dump();
    } finally {
      await app.stop();
    }
  });
});

describe('http server: mounted in an existing node:http server', () => {
  it('serves Tandem routes and hands other paths to next()', async () => {
    const server = httpServer({ listen: false, logger: silentLogger });
    const app = createApp({ services: [ordersService()], http: server, logger: silentLogger });
    await app.start();
    const outer = createServer((req, res) => {
      if (req.url?.startsWith('/legacy')) return void res.end('legacy');
      server.handler(req, res, () => res.writeHead(418).end('from next'));
    });
    await new Promise<void>((resolve) => outer.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(outer.address() as AddressInfo).port}`;
    try {
      const ok = await place(base);
      expect(ok.statusCode).toBe(200);
      expect(await ok.body.json()).toMatchObject({ total: 10 });
      const legacy = await request(`${base}/legacy`);
      expect(await legacy.body.text()).toBe('legacy');
      const other = await request(`${base}/elsewhere`);
      expect(other.statusCode).toBe(418);
      await other.body.dump();
    } finally {
      await app.stop();
      await new Promise((resolve) => outer.close(resolve));
    }
  });
});

describe('graceful stop', () => {
  it('lets an in-flight handler finish, answers 503 to a new request on a kept-alive connection, refuses new connections, then closes', async () => {
    const { app, url } = await startApp({}, { shutdownTimeoutMs: 5_000 });
    // Two connections kept alive from before the stop.
    const kept = [new Client(url), new Client(url)];
    for (const client of kept) await (await client.request({ path: '/health/live', method: 'GET' })).body.dump();
    const inFlight = request(`${url}/commands/orders.slow`, {
      method: 'POST',
      body: JSON.stringify({ ms: 400 }),
      headers: { 'content-type': 'application/json' },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopping = app.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.state).toBe('stopping');

    const late = await kept[0]!.request({
      path: '/commands/orders.place',
      method: 'POST',
      body: JSON.stringify({ sku: 'a', qty: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(late.statusCode).toBe(503);
    expect(late.headers['retry-after']).toBe('1');
    expect(late.headers.connection).toBe('close');
    expect(late.headers['tandem-not-run']).toBe('1');
    expect(await late.body.json()).toMatchObject({
      code: 'TANDEM_SHUTTING_DOWN',
      type: 'urn:tandem:problem:shutting-down',
    });
    const ready = await kept[1]!.request({ path: '/health/ready', method: 'GET' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers.connection).toBe('close');
    await ready.body.dump();
    // The listener closed when the stop began: a new connection is refused, which a client may retry elsewhere.
    await expect(place(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await Promise.all(kept.map((client) => client.close()));

    const finished = await inFlight;
    expect(finished.statusCode).toBe(200);
    expect(await finished.body.json()).toEqual({ done: true, aborted: false });
    await stopping;
    expect(app.state).toBe('stopped');
    await expect(place(url)).rejects.toThrow();
  });

  it('aborts ctx.signal of a handler still running at the shutdown deadline', async () => {
    // The handler ends 150 ms past the deadline, within the grace aborted runs get (min(500 ms, 2 s)).
    const { app, url } = await startApp({}, { shutdownTimeoutMs: 500 });
    const inFlight = request(`${url}/commands/orders.slow`, {
      method: 'POST',
      body: JSON.stringify({ ms: 700 }),
      headers: { 'content-type': 'application/json' },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await app.stop();
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ done: true, aborted: true });
  });
});

describe('http server: client going away', () => {
  it("aborts the handler's ctx.signal when the client closes the connection mid-request", async () => {
    const contract = defineCommand('jobs.wait', { input: z.object({}), output: z.object({ done: z.boolean() }) });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let reason: unknown;
    const svc = service('jobs').command(contract, async (_input, ctx) => {
      const signal = ctx.signal;
      started();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      reason = signal.reason;
      return { done: false };
    });
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const app = createApp({ services: [svc], http: server, logger: silentLogger, shutdownTimeoutMs: 2_000 });
    await app.start();
    try {
      const client = new AbortController();
      const call = request(`${server.url}/commands/jobs.wait`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
        signal: client.signal,
      }).catch((error: unknown) => error);
      await running;
      client.abort();
      await call;
      await vi.waitFor(() => expect(reason).toBeInstanceOf(AbortedError), { timeout: 2_000 });
      expect((reason as Error).message).toMatch(/client closed the connection/);
    } finally {
      await app.stop();
    }
  });
});
