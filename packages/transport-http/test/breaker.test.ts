import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CircuitOpenError,
  createApp,
  defineCommand,
  defineQuery,
  NotFoundError,
  service,
  silentLogger,
  UnavailableError,
  type App,
} from '@tandem/core';
import { httpClient, httpServer, type HttpClient, type HttpClientOptions } from '../src/index.js';
import { installOtel } from './otel.js';

const CheckStock = defineQuery('inventory.check', {
  input: z.object({ sku: z.string() }),
  output: z.object({ available: z.boolean() }),
});
const Reserve = defineCommand('gateway.reserve', {
  input: z.object({ sku: z.string() }),
  output: z.object({ available: z.boolean() }),
});

const SLOW_FAILURE_MS = 150;
let mode: 'ok' | 'slow-fail' | 'not-found' = 'ok';
let hits = 0;
let inventory: App;
let inventoryUrl: string;
const otel = installOtel();
afterAll(() => otel.uninstall());

beforeAll(async () => {
  const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  inventory = createApp({
    services: [
      service('inventory').query(CheckStock, async ({ sku }) => {
        hits++;
        if (mode === 'not-found') throw new NotFoundError(`no sku ${sku}`);
        if (mode === 'slow-fail') {
          await new Promise((resolve) => setTimeout(resolve, SLOW_FAILURE_MS));
          throw new UnavailableError('the stock database is down');
        }
        return { available: true };
      }),
    ],
    http: server,
    logger: silentLogger,
  });
  await inventory.start();
  inventoryUrl = server.url!;
});
afterAll(() => inventory.stop());

function breakerClient(extra: Partial<HttpClientOptions> = {}): HttpClient {
  return httpClient({
    services: { inventory: inventoryUrl },
    retry: false,
    breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 400 },
    ...extra,
  });
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { ms: performance.now() - started, error };
}

async function openCircuit(client: HttpClient): Promise<number[]> {
  mode = 'slow-fail';
  const slow: number[] = [];
  for (let i = 0; i < 4; i++) {
    const { ms, error } = await timed(() => client.call(CheckStock, { sku: 'lamp' }));
    expect(error).toBeInstanceOf(UnavailableError);
    slow.push(ms);
  }
  expect(client.breakers().inventory?.state).toBe('open');
  return slow;
}

describe('circuit breaker per downstream service', () => {
  it('never opens on 4xx answers', async () => {
    const client = breakerClient();
    mode = 'not-found';
    for (let i = 0; i < 12; i++)
      await expect(client.call(CheckStock, { sku: 'nope' })).rejects.toBeInstanceOf(NotFoundError);
    expect(client.breakers().inventory).toMatchObject({ state: 'closed', failures: 0, fires: 12 });
    await client.close();
  });

  it('opens after the threshold, fails fast, then a half-open probe closes it', async () => {
    const client = breakerClient();
    const slow = await openCircuit(client);
    expect(Math.min(...slow)).toBeGreaterThanOrEqual(SLOW_FAILURE_MS - 5);

    const before = hits;
    for (let i = 0; i < 5; i++) {
      const { ms, error } = await timed(() => client.call(CheckStock, { sku: 'lamp' }));
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect((error as CircuitOpenError).details).toMatchObject({ target: 'inventory', retryAfterSeconds: 1 });
      expect(ms).toBeLessThan(20);
    }
    expect(hits).toBe(before);
    expect(client.health()['breaker:inventory']).toEqual({ ok: false, detail: 'open' });
    const gauge = await otel.metric('tandem.circuit_breaker.state');
    expect(gauge).toContainEqual(
      expect.objectContaining({ value: 2, attributes: { 'tandem.breaker.target': 'inventory' } }),
    );

    mode = 'ok';
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(client.breakers().inventory?.state).toBe('half-open');
    await expect(client.call(CheckStock, { sku: 'lamp' })).resolves.toEqual({ available: true });
    expect(client.breakers().inventory?.state).toBe('closed');
    expect(client.health()['breaker:inventory']).toEqual({ ok: true, detail: 'closed' });
    await client.close();
  });

  it('opens again when the half-open probe fails', async () => {
    const client = breakerClient();
    await openCircuit(client);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(client.breakers().inventory?.state).toBe('half-open');
    await expect(client.call(CheckStock, { sku: 'lamp' })).rejects.toBeInstanceOf(UnavailableError);
    expect(client.breakers().inventory?.state).toBe('open');
    await client.close();
  });

  it('answers from the fallback while the circuit is open', async () => {
    const client = breakerClient({ fallback: ({ error }) => ({ available: false, because: (error as Error).name }) });
    mode = 'slow-fail';
    // Faults also reach the fallback, so the circuit opens without the caller seeing errors.
    for (let i = 0; i < 4; i++)
      await expect(client.call(CheckStock, { sku: 'lamp' })).resolves.toMatchObject({ available: false });
    expect(client.breakers().inventory?.state).toBe('open');
    await expect(client.call(CheckStock, { sku: 'lamp' })).resolves.toEqual({
      available: false,
      because: 'CircuitOpenError',
    });
    await client.close();
  });

  it('makes the caller app unready and its HTTP answers 503 with Retry-After', async () => {
    const client = breakerClient();
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const gateway = createApp({
      services: [service('gateway').command(Reserve, (input, ctx) => ctx.call(CheckStock, input))],
      http: server,
      clients: client,
      logger: silentLogger,
    });
    await gateway.start();
    try {
      await openCircuit(client);
      const health = await gateway.health();
      expect(health.ready).toBe(false);
      expect(health.checks['breaker:inventory']).toEqual({ ok: false, detail: 'open' });

      const response = await fetch(`${server.url}/commands/gateway.reserve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'lamp' }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await response.json()).toMatchObject({ code: 'TANDEM_CIRCUIT_OPEN', retryAfterSeconds: 1 });
    } finally {
      await gateway.stop();
    }
  });
});
