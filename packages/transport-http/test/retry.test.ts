import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createApp,
  defineCommand,
  defineQuery,
  NotFoundError,
  service,
  silentLogger,
  UnavailableError,
  type App,
} from '@tandem/core';
import { httpClient, httpServer, type HttpClient } from '../src/index.js';
import { installOtel } from './otel.js';

const Quote = defineQuery('pricing.quote', {
  input: z.object({ sku: z.string() }),
  output: z.object({ price: z.number() }),
});
const Charge = defineCommand('pricing.charge', {
  input: z.object({ amount: z.number() }),
  output: z.object({ ok: z.boolean() }),
});

/** The next `failures` calls answer 503 (or 404), then calls succeed. */
let failures = 0;
let failWith: 'unavailable' | 'not-found' = 'unavailable';
const calls: Array<{ contract: string; key: string | undefined }> = [];
let app: App;
let url: string;
const otel = installOtel();
afterAll(() => otel.uninstall());

beforeAll(async () => {
  const fail = () => {
    if (failures <= 0) return;
    failures--;
    throw failWith === 'unavailable' ? new UnavailableError('warming up') : new NotFoundError('no such sku');
  };
  const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  app = createApp({
    services: [
      service('pricing')
        .query(Quote, async (_input, ctx) => {
          calls.push({ contract: ctx.meta.name, key: ctx.meta.idempotencyKey });
          fail();
          return { price: 10 };
        })
        .command(Charge, async (_input, ctx) => {
          calls.push({ contract: ctx.meta.name, key: ctx.meta.idempotencyKey });
          fail();
          return { ok: true };
        }),
    ],
    http: server,
    logger: silentLogger,
  });
  await app.start();
  url = server.url!;
});
afterAll(() => app.stop());

function client(extra: Parameters<typeof httpClient>[0] extends infer O ? Partial<O> : never = {}): HttpClient {
  return httpClient({ services: { pricing: url }, retry: { attempts: 3, baseDelayMs: 5 }, breaker: false, ...extra });
}

function reset(n: number, kind: typeof failWith = 'unavailable'): void {
  failures = n;
  failWith = kind;
  calls.length = 0;
}

describe('client retries', () => {
  it('retries a query answered 503, with backoff, until it succeeds', async () => {
    const c = client();
    reset(2);
    await expect(c.call(Quote, { sku: 'a' })).resolves.toEqual({ price: 10 });
    expect(calls).toHaveLength(3);
    await c.close();
  });

  it('gives up after the configured attempts', async () => {
    const c = client();
    reset(5);
    await expect(c.call(Quote, { sku: 'a' })).rejects.toBeInstanceOf(UnavailableError);
    expect(calls).toHaveLength(3);
    await c.close();
  });

  it('never retries a 4xx answer', async () => {
    const c = client();
    reset(1, 'not-found');
    await expect(c.call(Quote, { sku: 'a' })).rejects.toBeInstanceOf(NotFoundError);
    expect(calls).toHaveLength(1);
    await c.close();
  });

  it('never retries a command without an idempotency key', async () => {
    const c = client();
    reset(1);
    await expect(c.call(Charge, { amount: 5 })).rejects.toBeInstanceOf(UnavailableError);
    expect(calls).toHaveLength(1);
    await c.close();
  });

  it('retries a command with its Idempotency-Key, the same key on every try', async () => {
    const c = client();
    reset(1);
    await expect(c.call(Charge, { amount: 5 }, { idempotencyKey: 'charge-42' })).resolves.toEqual({ ok: true });
    expect(calls.map((x) => x.key)).toEqual(['charge-42', 'charge-42']);
    await c.close();
  });

  it("generates an Idempotency-Key for commands with idempotencyKeys: 'auto'", async () => {
    const c = client({ idempotencyKeys: 'auto' });
    reset(1);
    await expect(c.call(Charge, { amount: 5 })).resolves.toEqual({ ok: true });
    expect(calls).toHaveLength(2);
    expect(calls[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls[1]!.key).toBe(calls[0]!.key);
    await c.close();
  });

  it('stops retrying when the retry budget is spent', async () => {
    // No floor and a small share: the budget starts with one token and earns 0.1 per call.
    const c = client({ retry: { attempts: 3, baseDelayMs: 1, budgetRatio: 0.1, budgetMinPerSecond: 0 } });
    reset(100);
    for (let i = 0; i < 5; i++) await expect(c.call(Quote, { sku: 'a' })).rejects.toBeInstanceOf(UnavailableError);
    // 5 first tries and one retry: the starting token pays for it, and the 0.5 earned after
    // it never adds up to another; every call then meets an empty budget once.
    expect(calls.length).toBe(6);
    const counted = await otel.metric('tandem.client.retries');
    const refused = counted.find((p) => p.attributes['tandem.retry.outcome'] === 'budget_exhausted');
    expect(refused?.value).toBe(5);
    await c.close();
  });
});
