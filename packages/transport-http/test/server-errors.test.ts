import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startApp } from './fixtures.js';

let ctx: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => {
  ctx = await startApp({ bodyLimit: 1024 });
});
afterAll(() => ctx.app.stop());

async function send(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await request(ctx.url + path, {
    method: method as 'POST',
    body,
    headers: body !== undefined ? { 'content-type': 'application/json', ...headers } : headers,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

describe('http server: answers', () => {
  it('runs a command and answers 200 with the JSON output', async () => {
    const res = await send('POST', '/commands/orders.place', JSON.stringify({ sku: 'abc', qty: 2 }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json).toEqual({ orderId: expect.stringMatching(/^o-\d+$/), total: 20 });
  });

  it('runs a query from flat query parameters and from ?input=<json>', async () => {
    const placed = await send('POST', '/commands/orders.place', JSON.stringify({ sku: 'q', qty: 1 }));
    const id = placed.json.orderId as string;
    expect((await send('GET', `/queries/orders.get?id=${id}`)).json).toEqual({ id, status: 'placed' });
    const viaJson = await send('GET', `/queries/orders.get?input=${encodeURIComponent(JSON.stringify({ id }))}`);
    expect(viaJson.json).toEqual({ id, status: 'placed' });
  });

  it('serves a route override with path parameters merged into the input', async () => {
    const res = await send('GET', '/orders/o-404x');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: 'o-404x', status: 'unknown' });
  });
});

describe('http server: bad input gets the exact status and problem type', () => {
  const cases: Array<[string, () => ReturnType<typeof send>, number, string, string]> = [
    [
      'unknown route',
      () => send('POST', '/commands/orders.nope', '{}'),
      404,
      'urn:tandem:problem:route-not-found',
      'TANDEM_ROUTE_NOT_FOUND',
    ],
    [
      'wrong method',
      () => send('GET', '/commands/orders.place'),
      405,
      'urn:tandem:problem:method-not-allowed',
      'TANDEM_METHOD_NOT_ALLOWED',
    ],
    [
      'malformed JSON',
      () => send('POST', '/commands/orders.place', '{"sku": "a", qty: }'),
      400,
      'urn:tandem:problem:malformed-request',
      'TANDEM_MALFORMED_REQUEST',
    ],
    [
      'malformed ?input',
      () => send('GET', '/queries/orders.get?input=%7Bnope'),
      400,
      'urn:tandem:problem:malformed-request',
      'TANDEM_MALFORMED_REQUEST',
    ],
    [
      'schema violation',
      () => send('POST', '/commands/orders.place', JSON.stringify({ sku: '', qty: -1 })),
      400,
      'urn:tandem:problem:validation',
      'TANDEM_VALIDATION',
    ],
    [
      'missing body',
      () => send('POST', '/commands/orders.place'),
      400,
      'urn:tandem:problem:validation',
      'TANDEM_VALIDATION',
    ],
    [
      'body over the limit',
      () => send('POST', '/commands/orders.place', JSON.stringify({ sku: 'x'.repeat(2000), qty: 1 })),
      413,
      'urn:tandem:problem:payload-too-large',
      'TANDEM_PAYLOAD_TOO_LARGE',
    ],
    [
      'non-JSON media type',
      () => send('POST', '/commands/orders.place', 'sku=a', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'urn:tandem:problem:unsupported-media-type',
      'TANDEM_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a domain NotFoundError',
      () => send('GET', '/queries/orders.get?id=missing'),
      404,
      'urn:tandem:problem:not-found',
      'TANDEM_NOT_FOUND',
    ],
    [
      'an unexpected handler error',
      () => send('POST', '/commands/orders.broken', '{}'),
      500,
      'urn:tandem:problem:internal',
      'TANDEM_INTERNAL',
    ],
  ];

  for (const [what, call, status, type, code] of cases) {
    it(`${what}: ${status} ${type}`, async () => {
      const res = await call();
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.json).toMatchObject({ type, status, code, title: expect.any(String), detail: expect.any(String) });
      expect(res.text).not.toMatch(/\n\s+at /);
    });
  }

  it('lists the allowed methods on 405', async () => {
    const res = await send('DELETE', '/queries/orders.get');
    expect(res.headers.allow).toBe('GET');
  });

  it('names each invalid field on a validation problem', async () => {
    const res = await send('POST', '/commands/orders.place', JSON.stringify({ sku: '', qty: 1.5 }));
    expect(res.json.issues.map((i: { path: string }) => i.path).sort()).toEqual(['qty', 'sku']);
  });

  it('says nothing of an unexpected error beyond "internal error"', async () => {
    const res = await send('POST', '/commands/orders.broken', '{}');
    expect(res.json.detail).toBe('internal error');
    expect(res.text).not.toContain('hunter2');
  });
});

describe('http server: health', () => {
  it('answers liveness and readiness with the checks', async () => {
    const live = await send('GET', '/health/live');
    const ready = await send('GET', '/health/ready');
    expect(live.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'ok', checks: { runtime: { ok: true }, broker: { ok: true } } });
  });
});
