import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AbortedError,
  createApp,
  defineCommand,
  NotFoundError,
  service,
  silentLogger,
  TimeoutError,
  UnavailableError,
  ValidationError,
  ConfigError,
} from '@tandem/core';
import { httpClient, httpServer } from '../src/index.js';
import { GetOrder, GetOrderRest, PlaceOrder, Slow, startApp } from './fixtures.js';

let ctx: Awaited<ReturnType<typeof startApp>>;
let client: ReturnType<typeof httpClient>;
beforeAll(async () => {
  ctx = await startApp();
  client = httpClient({ services: { orders: ctx.url } });
});
afterAll(async () => {
  await client.close();
  await ctx.app.stop();
});

describe('typed http client', () => {
  it('calls commands and queries with types from the contract', async () => {
    const placed = await client.call(PlaceOrder, { sku: 'typed', qty: 3 });
    expect(placed.total).toBe(30);
    const order = await client.call(GetOrder, { id: placed.orderId });
    expect(order).toEqual({ id: placed.orderId, status: 'placed' });
    const rest = await client.call(GetOrderRest, { id: placed.orderId });
    expect(rest.status).toBe('placed');
  });

  it('rebuilds the typed error from problem details', async () => {
    const notFound = await client.call(GetOrder, { id: 'nope' }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect((notFound as NotFoundError).code).toBe('TANDEM_NOT_FOUND');
    const invalid = await client.call(PlaceOrder, { sku: '', qty: 0 }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).details?.issues).toHaveLength(2);
  });

  it('times out per call, and the callee sees the deadline as ctx.signal', async () => {
    const started = Date.now();
    const error = await client.call(Slow, { ms: 1_000 }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('stops at the caller AbortSignal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await client.call(Slow, { ms: 1_000 }, { signal: controller.signal }).catch((e: unknown) => e);
    // Sent, and maybe run: not a timeout, and not safe to send again without a key.
    expect(error).toBeInstanceOf(AbortedError);
  });

  it('does not send a call whose caller signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const started = Date.now();
    const error = await client.call(Slow, { ms: 1_000 }, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('reports an unreachable service as UnavailableError', async () => {
    const dead = httpClient({ services: { orders: 'http://127.0.0.1:1' } });
    const error = await dead.call(GetOrder, { id: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    await dead.close();
  });

  it('names the service and the setting when no URL is configured', async () => {
    const Other = defineCommand('billing.charge', { input: z.object({}), output: z.object({}) });
    const error = await client.call(Other, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("service 'billing'");
    expect((error as Error).message).toContain('TANDEM_SERVICE_BILLING_URL');
  });
});

describe('ctx.call across two apps over HTTP', () => {
  it('makes a typed ctx.call to another app over HTTP, and a slow callee times out', async () => {
    const Checkout = defineCommand('shop.checkout', {
      input: z.object({ sku: z.string() }),
      output: z.object({ orderId: z.string(), seen: z.string() }),
    });
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const clients = httpClient({ services: { orders: ctx.url } });
    const shop = createApp({
      services: [
        service('shop').command(Checkout, async ({ sku }, c) => {
          const placed = await c.call(PlaceOrder, { sku, qty: 1 }, { timeoutMs: 2_000 });
          return { orderId: placed.orderId, seen: c.meta.correlationId };
        }),
      ],
      http: server,
      clients,
      logger: silentLogger,
    });
    await shop.start();
    try {
      const out = await shop.call(Checkout, { sku: 'x' });
      expect(out.orderId).toMatch(/^o-/);
      const slow = await clients.call(Slow, { ms: 300 }, { timeoutMs: 100 }).catch((e: unknown) => e);
      expect(slow).toBeInstanceOf(TimeoutError);
    } finally {
      await shop.stop();
    }
  });
});
