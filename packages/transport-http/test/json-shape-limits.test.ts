import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, defineCommand, defineQuery, silentLogger, type App } from '@tandem/core';
import { httpServer, type HttpServer } from '../src/index.js';

/**
 * 1 MiB of `[[[…]]]` or of `[{},{},…]` took JSON.parse 100-250 ms of the event loop before
 * any handler or validation ran, and a `z.unknown()` input carried the depth on into the
 * idempotency fingerprint. The body reader refuses such shapes before parsing.
 */
const Any = defineCommand('shape.any', { input: z.unknown(), output: z.object({ ok: z.boolean() }) });
const Find = defineQuery('shape.find', { input: z.unknown(), output: z.object({ ok: z.boolean() }) });

describe('JSON shape limits of request bodies and query input', () => {
  let app: App;
  let server: HttpServer;
  let runs = 0;
  beforeAll(async () => {
    server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    app = createApp({ name: 'shape', http: server, logger: silentLogger });
    app.command(Any, async () => ({ ok: ++runs > 0 }));
    app.query(Find, async () => ({ ok: true }));
    await app.start();
  });
  afterAll(() => app.stop());

  const post = async (body: string) => {
    const res = await fetch(`${server.url}/commands/shape.any`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `k-${body.length}-${body.slice(0, 2)}` },
      body,
    });
    return { status: res.status, body: (await res.json()) as { code?: string; detail?: string } };
  };

  it('refuses 1 MiB of nested arrays with 400 naming maxJsonDepth, and runs nothing', async () => {
    const before = runs;
    const half = 512 * 1024;
    const answer = await post('['.repeat(half) + ']'.repeat(half));
    expect(answer).toMatchObject({ status: 400, body: { code: 'TANDEM_MALFORMED_REQUEST' } });
    expect(answer.body.detail).toContain('maxJsonDepth');
    expect(runs).toBe(before);
  });

  it('refuses 1 MiB of empty objects with 400 naming maxJsonContainers', async () => {
    const answer = await post(`[${Array.from({ length: 340_000 }, () => '{}').join(',')}]`);
    expect(answer.status).toBe(400);
    expect(answer.body.detail).toContain('maxJsonContainers');
  });

  it('takes nesting up to the default depth of 256', async () => {
    expect((await post('['.repeat(256) + ']'.repeat(256))).status).toBe(200);
    expect((await post('['.repeat(257) + ']'.repeat(257))).status).toBe(400);
  });

  it('applies the same limits to a query input=<JSON>', async () => {
    const deep = encodeURIComponent('['.repeat(300) + ']'.repeat(300));
    const res = await fetch(`${server.url}/queries/shape.find?input=${deep}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain('maxJsonDepth');
  });

  it('refuses a limit that is not a positive whole number', () => {
    expect(() => httpServer({ maxJsonDepth: 0 })).toThrow(/maxJsonDepth/);
    expect(() => httpServer({ maxJsonContainers: 1.5 })).toThrow(/maxJsonContainers/);
  });
});
