import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AbortedError,
  createApp,
  defineCommand,
  defineQuery,
  service,
  ShuttingDownError,
  silentLogger,
  TimeoutError,
} from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { httpClient, type HttpClient, type HttpClientOptions } from '../src/index.js';

/**
 * Regression: a call aborted by the caller's own signal (ctx.signal at the caller's
 * deadline, or at a forced shutdown) was classified as a connection fault, so three such
 * aborts opened the breaker and ejected a healthy instance.
 */
const CheckStock = defineQuery('inventory.check', {
  input: z.object({ sku: z.string() }),
  output: z.object({ available: z.boolean() }),
});
const Order = defineCommand('orders.order', {
  input: z.object({ sku: z.string() }),
  output: z.object({ available: z.boolean() }),
});

const ANSWER_AFTER_MS = 400;
const N = 6;
let downstream: Server;
let url: string;
let hits = 0;
const arrivals = new EventEmitter();

beforeAll(async () => {
  // A healthy downstream that is simply slower than the callers below are willing to wait.
  downstream = createServer((req, res) => {
    hits++;
    arrivals.emit('request');
    req.resume();
    const timer = setTimeout(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"available":true}'),
      ANSWER_AFTER_MS,
    );
    res.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => downstream.close(() => resolve())));

const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function makeClient(extra: Partial<HttpClientOptions> = {}): HttpClient {
  // Breaker and passive health both react to 3 faults; the default retry policy is on.
  const client = httpClient({
    services: { inventory: url },
    breaker: { volumeThreshold: 3, errorThresholdPercentage: 50 },
    instanceHealth: { consecutiveFailures: 3 },
    ...extra,
  });
  clients.push(client);
  return client;
}

/** A signal that aborts once the downstream has the request: it was sent and may run. */
function abortingOnArrival(reason: unknown): AbortSignal {
  const controller = new AbortController();
  arrivals.once('request', () => controller.abort(reason));
  return controller.signal;
}

function abortingAfter(ms: number, reason: unknown): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), ms);
  return controller.signal;
}

function expectUntouched(c: HttpClient): void {
  expect(c.breakers().inventory).toMatchObject({ state: 'closed', failures: 0, rejects: 0 });
  expect(c.instances().inventory).toEqual([expect.objectContaining({ origin: url, state: 'healthy' })]);
}

describe("the caller's own cancellation is not a fault of the downstream", () => {
  it('N calls aborted by a signal with a TimeoutError: breaker closed, instance in rotation, nothing retried', async () => {
    const c = makeClient();
    hits = 0;
    for (let i = 0; i < N; i++) {
      const error = await c
        .call(CheckStock, { sku: 'a' }, { signal: abortingOnArrival(new TimeoutError('caller deadline')) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
    }
    expect(hits).toBe(N);
    expectUntouched(c);
    await expect(c.call(CheckStock, { sku: 'a' })).resolves.toEqual({ available: true });
  });

  it('N calls aborted by a signal with a ShuttingDownError end as AbortedError and count for nothing', async () => {
    const c = makeClient();
    hits = 0;
    for (let i = 0; i < N; i++) {
      const error = await c
        .call(CheckStock, { sku: 'a' }, { signal: abortingOnArrival(new ShuttingDownError('forced stop')) })
        .catch((e: unknown) => e);
      // The call was sent and may have run: never a "refused, safe to resend" error.
      expect(error).toBeInstanceOf(AbortedError);
      expect(error).not.toBeInstanceOf(ShuttingDownError);
    }
    expect(hits).toBe(N);
    expectUntouched(c);
  });

  it("ctx.signal passed to ctx.call: a handler's own deadline and a forced stop leave the breaker closed", async () => {
    const c = makeClient();
    const orders = service('orders').command(
      Order,
      (input, ctx) => ctx.call(CheckStock, input, { signal: ctx.signal }),
      {
        timeoutMs: 40,
      },
    );
    const app = createApp({ services: [orders], clients: c, logger: silentLogger, shutdownTimeoutMs: 50 });
    await app.start();
    try {
      for (let i = 0; i < N; i++) await expect(app.call(Order, { sku: 'a' })).rejects.toBeInstanceOf(TimeoutError);
      expectUntouched(c);
    } finally {
      await app.stop();
    }

    // N runs in flight when the shutdown deadline passes: abortAll aborts each one's ctx.signal.
    // The app gets the client without its close(), so the client can be read after the stop.
    const c2 = makeClient();
    const slow = service('orders').command(Order, (input, ctx) => ctx.call(CheckStock, input, { signal: ctx.signal }));
    const stopping = createApp({
      services: [slow],
      clients: { call: (contract, input, call) => c2.call(contract, input, call) },
      logger: silentLogger,
      shutdownTimeoutMs: 50,
    });
    await stopping.start();
    hits = 0;
    const calls = Array.from({ length: N }, () => stopping.call(Order, { sku: 'a' }).catch((e: unknown) => e));
    await eventually('every call reached the downstream', () => hits === N);
    await stopping.stop();
    for (const error of await Promise.all(calls)) expect(error).toBeInstanceOf(AbortedError);
    expectUntouched(c2);
  });

  it('N calls whose caller had no time left are not sent and count for nothing', async () => {
    const c = makeClient();
    hits = 0;
    for (let i = 0; i < N; i++)
      await expect(c.call(CheckStock, { sku: 'a' }, { deadline: Date.now() - 1 })).rejects.toBeInstanceOf(TimeoutError);
    expect(hits).toBe(0);
    expectUntouched(c);
  });

  it('the same N real timeouts (the call deadline) still open the breaker and eject the instance', async () => {
    const c = makeClient();
    for (let i = 0; i < N; i++) {
      const error = await c.call(CheckStock, { sku: 'a' }, { timeoutMs: 20 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
    }
    expect(c.breakers().inventory?.state).toBe('open');
    expect(c.instances().inventory![0]!.state).toBe('ejected');
  });

  it("a caller signal that aborts at the call's own deadline is a real timeout, whichever timer fires first", async () => {
    const c = makeClient();
    for (let i = 0; i < 3; i++) {
      const error = await c
        .call(CheckStock, { sku: 'a' }, { timeoutMs: 30, signal: abortingAfter(30, new TimeoutError('same deadline')) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
    }
    expect(c.breakers().inventory?.state).toBe('open');
  });

  it('the same N connection refusals still open the breaker and eject the instance', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refusedUrl = `http://127.0.0.1:${port}`;
    const c = makeClient({ services: { inventory: refusedUrl }, retry: false });
    for (let i = 0; i < N; i++) await expect(c.call(CheckStock, { sku: 'a' })).rejects.toBeInstanceOf(Error);
    expect(c.breakers().inventory?.state).toBe('open');
    expect(c.instances().inventory![0]!.state).toBe('ejected');
  });
});
