import { monitorEventLoopDelay } from 'node:perf_hooks';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, createApp, defineCommand, silentLogger, type App, type AppOptions } from '@tandem/core';
import { httpServer, type HttpServer } from '../src/index.js';

const Place = defineCommand('shop.place', {
  input: z.object({
    customer: z.string().min(1),
    items: z.array(z.object({ sku: z.string().min(1), qty: z.number().int().positive() })).min(1),
  }),
  output: z.object({ ok: z.boolean() }),
});
const Loud = defineCommand('shop.loud', {
  input: z.object({ words: z.array(z.string().refine(() => false, { message: 'x'.repeat(10_000) })) }),
  output: z.object({ ok: z.boolean() }),
});
const Echo = defineCommand('shop.echo', {
  input: z.object({ blob: z.unknown() }),
  output: z.object({ ok: z.boolean() }),
});

describe('bounded validation answers', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  async function start(options: Partial<AppOptions> = {}): Promise<HttpServer> {
    // Past the default maxJsonDepth and maxJsonContainers on purpose, so that validation and
    // the problem answer meet inputs the body reader would otherwise refuse first.
    const server = httpServer({
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      bodyLimit: 2 * 1024 * 1024,
      maxJsonDepth: 1_000_000,
      maxJsonContainers: 10_000_000,
    });
    app = createApp({ name: 'shop', http: server, logger: silentLogger, ...options });
    app.command(Place, async () => ({ ok: true }));
    app.command(Loud, async () => ({ ok: true }));
    app.command(Echo, async ({ blob }) => {
      throw new ConflictError('echoing what came in', { details: { blob } });
    });
    await app.start();
    return server;
  }

  const post = (server: HttpServer, name: string, body: string) =>
    fetch(`${server.url}/commands/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }).then(async (res) => ({ status: res.status, text: await res.text() }));

  it(
    'a 1 MiB body of 349,000 invalid items gets a small problem at once, and /health/live is answered meanwhile',
    { timeout: 60_000 },
    async () => {
      const server = await start();
      const items = Array(349_000).fill('{}').join(',');
      const body = `{"customer":"ada","items":[${items}]}`;
      expect(body.length).toBeGreaterThan(1_000_000);
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      let done = false;
      const answer = post(server, Place.name, body).finally(() => (done = true));
      // Asked over and over while the body is read and validated: each waits for whatever blocks the loop.
      let slowest = 0;
      let probes = 0;
      while (!done) {
        const sent = performance.now();
        const res = await fetch(`${server.url}/health/live`);
        await res.text();
        expect(res.status).toBe(200);
        slowest = Math.max(slowest, performance.now() - sent);
        probes++;
      }
      const { status, text } = await answer;
      delay.disable();
      expect(status).toBe(400);
      expect(Buffer.byteLength(text)).toBeLessThan(20 * 1024);
      const problem = JSON.parse(text) as { code: string; issues: unknown[]; truncated?: boolean; omitted?: number };
      expect(problem.code).toBe('TANDEM_VALIDATION');
      expect(problem.issues.length).toBeGreaterThanOrEqual(1);
      expect(problem.truncated).toBe(true);
      // On the old code every issue was listed: seconds of zod and a 76 MB answer (a 9.8 s stall
      // here). What is left is mostly JSON.parse of the body, some hundred ms on a loaded machine.
      expect(probes).toBeGreaterThan(0);
      expect(slowest).toBeLessThan(2_500);
      expect(delay.max / 1e6).toBeLessThan(2_500);
    },
  );

  it('an invalid body small enough to check in full lists 20 issues and counts the rest exactly', async () => {
    const server = await start();
    const body = JSON.stringify({ customer: 'ada', items: Array.from({ length: 1_000 }, () => ({})) });
    const { status, text } = await post(server, Place.name, body);
    expect(status).toBe(400);
    const problem = JSON.parse(text) as { issues: Array<{ path: string }>; omitted: number; truncated?: boolean };
    expect(problem.issues).toHaveLength(20);
    expect(problem.issues[0]).toEqual({ path: 'items.0.sku', message: expect.any(String), code: 'invalid_type' });
    // Two issues (sku, qty) per item.
    expect(problem.omitted).toBe(2_000 - 20);
    expect(problem.truncated).toBeUndefined();
  });

  it('the limits are options: fewer issues, and a larger input still checked in full', async () => {
    const server = await start({ validation: { maxIssues: 3, exhaustiveMaxValues: 1_000_000 } });
    const body = JSON.stringify({ customer: 'ada', items: Array.from({ length: 10_000 }, () => ({})) });
    const problem = JSON.parse((await post(server, Place.name, body)).text) as { issues: unknown[]; omitted: number };
    expect(problem.issues).toHaveLength(3);
    expect(problem.omitted).toBe(20_000 - 3);
  });

  it('issues are listed within the byte cap: long messages are cut and the rest counted', async () => {
    const server = await start();
    const { status, text } = await post(server, Loud.name, JSON.stringify({ words: Array(50).fill('a') }));
    expect(status).toBe(400);
    expect(Buffer.byteLength(text)).toBeLessThan(20 * 1024);
    const problem = JSON.parse(text) as { issues: Array<{ message: string }>; omitted: number };
    expect(problem.issues.length).toBeGreaterThanOrEqual(1);
    expect(problem.issues.length + problem.omitted).toBe(50);
    expect(problem.issues[0]!.message.length).toBeLessThanOrEqual(4 * 1024);
  });

  it("an error's details too large or too deep for the answer are left out, not a 500", async () => {
    const server = await start();
    const big = await post(server, Echo.name, JSON.stringify({ blob: 'y'.repeat(100_000) }));
    expect(big.status).toBe(409);
    expect(Buffer.byteLength(big.text)).toBeLessThan(20 * 1024);
    expect(JSON.parse(big.text)).toMatchObject({ code: 'TANDEM_CONFLICT', details: { omitted: expect.any(String) } });
    const deep = await post(server, Echo.name, `{"blob":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(deep.status).toBe(409);
    expect(JSON.parse(deep.text)).toMatchObject({ code: 'TANDEM_CONFLICT', details: { omitted: expect.any(String) } });
  });
});
