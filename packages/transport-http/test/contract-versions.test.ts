import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createApp,
  defineCommand,
  defineQuery,
  service,
  silentLogger,
  UnauthorizedError,
  UnsupportedVersionError,
  ValidationError,
  type App,
} from '@tandem/core';
import { httpClient, httpServer, type HttpServer, type HttpServerOptions } from '../src/index.js';

// One command as three releases of its contract: the server runs version 3, and callers
// built against versions 1 and 2 are still deployed, each with its own copy of the contract.
const Line = z.object({ sku: z.string().min(1), qty: z.number().int().positive() });
const PlaceV1Input = Line;
const PlaceV2Input = Line.extend({ currency: z.enum(['EUR', 'USD']) });
const PlaceV3Input = z.object({ lines: z.array(Line).min(1), currency: z.enum(['EUR', 'USD']) });
const Placed = z.object({ orderId: z.string(), lines: z.number() });

const PlaceV1 = defineCommand('shop.place', { input: PlaceV1Input, output: Placed });
const PlaceV2 = defineCommand('shop.place', {
  version: 2,
  input: PlaceV2Input,
  output: Placed,
  from: { 1: { input: PlaceV1Input, upcast: (v1) => ({ ...v1, currency: 'EUR' as const }) } },
});
const Place = defineCommand('shop.place', {
  version: 3,
  input: PlaceV3Input,
  output: Placed,
  from: {
    1: { input: PlaceV1Input, upcast: (v1) => ({ ...v1, currency: 'EUR' as const }) },
    2: { input: PlaceV2Input, upcast: ({ sku, qty, currency }) => ({ lines: [{ sku, qty }], currency }) },
  },
});
// A caller built against a release this server has not got yet.
const PlaceV4 = defineCommand('shop.place', {
  version: 4,
  input: PlaceV3Input,
  output: Placed,
  from: { 3: { input: PlaceV3Input, upcast: (v3) => v3 } },
});

// A query whose version 2 renamed its parameter; read from the query string.
const OrderV1 = defineQuery('shop.order', {
  input: z.object({ id: z.string() }),
  output: z.object({ id: z.string() }),
});
const Order = defineQuery('shop.order', {
  version: 2,
  input: z.object({ orderId: z.string() }),
  output: z.object({ id: z.string() }),
  from: { 1: { input: z.object({ id: z.string() }), upcast: ({ id }) => ({ orderId: id }) } },
});

// Version 1 was dropped: the server declares version 2 only.
const Refund = defineCommand('shop.refund', {
  version: 2,
  input: z.object({ orderId: z.string() }),
  output: z.object({ ok: z.boolean() }),
});
// An upcaster with a bug.
const Cancel = defineCommand('shop.cancel', {
  version: 2,
  input: z.object({ orderId: z.string() }),
  output: z.object({ ok: z.boolean() }),
  from: {
    1: {
      input: z.object({ id: z.string() }),
      upcast: (): { orderId: string } => {
        throw new Error('upcaster bug');
      },
    },
  },
});

const received: Array<{ handler: string; input: unknown }> = [];
const shop = service('shop')
  .command(Place, async (input) => {
    received.push({ handler: 'place', input });
    return { orderId: `o-${received.length}`, lines: input.lines.length };
  })
  .query(Order, async (input) => {
    received.push({ handler: 'order', input });
    return { id: input.orderId };
  })
  .command(Refund, async (input) => {
    received.push({ handler: 'refund', input });
    return { ok: true };
  })
  .command(Cancel, async (input) => {
    received.push({ handler: 'cancel', input });
    return { ok: true };
  });

async function start(auth?: HttpServerOptions['auth']) {
  const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger, ...(auth ? { auth } : {}) });
  const app = createApp({ services: [shop], http: server, logger: silentLogger });
  await app.start();
  return { app, server };
}

let app: App;
let server: HttpServer;
let client: ReturnType<typeof httpClient>;
beforeAll(async () => {
  ({ app, server } = await start());
  client = httpClient({ services: { shop: server.url! } });
});
afterAll(async () => {
  await client.close();
  await app.stop();
});

/** A raw request, as curl or a generated OpenAPI client sends it. */
async function send(path: string, body: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit =
    body === undefined
      ? { headers }
      : { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
  const res = await fetch(`${server.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function lastReceived() {
  return received.at(-1);
}

describe('versioned command and query inputs over HTTP', () => {
  it('answers a caller built against version 1, and the handler gets its input upcast to version 3', async () => {
    const answer = await client.call(PlaceV1, { sku: 'tea', qty: 2 });
    expect(answer).toEqual({ orderId: `o-${received.length}`, lines: 1 });
    expect(lastReceived()).toEqual({
      handler: 'place',
      input: { lines: [{ sku: 'tea', qty: 2 }], currency: 'EUR' },
    });
  });

  it('upcasts a version-2 caller one step, keeping what it sent', async () => {
    await client.call(PlaceV2, { sku: 'mug', qty: 1, currency: 'USD' });
    expect(lastReceived()!.input).toEqual({ lines: [{ sku: 'mug', qty: 1 }], currency: 'USD' });
  });

  it('passes a current caller through as it is', async () => {
    const lines = [
      { sku: 'a', qty: 1 },
      { sku: 'b', qty: 2 },
    ];
    expect((await client.call(Place, { lines, currency: 'EUR' })).lines).toBe(2);
    expect(lastReceived()!.input).toEqual({ lines, currency: 'EUR' });
  });

  it('takes a request without the header as the current version', async () => {
    const current = await send('/commands/shop.place', { lines: [{ sku: 'c', qty: 3 }], currency: 'USD' });
    expect(current.status).toBe(200);
    expect(lastReceived()!.input).toEqual({ lines: [{ sku: 'c', qty: 3 }], currency: 'USD' });
    // Version-1 input without the header is read with the current schema, which refuses it.
    const count = received.length;
    const old = await send('/commands/shop.place', { sku: 'c', qty: 3 });
    expect(old).toMatchObject({ status: 400, body: { code: 'TANDEM_VALIDATION' } });
    expect(received).toHaveLength(count);
  });

  it('validates older input with its own version schema, naming the version', async () => {
    const count = received.length;
    const error = await client.call(PlaceV1, { sku: '', qty: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/^shop\.place: invalid input of version 1: sku: /);
    expect((error as ValidationError).details).toMatchObject({ version: 1, issues: [{ path: 'sku' }] });
    expect(received).toHaveLength(count);
  });

  it('refuses a newer version with 400 TANDEM_UNSUPPORTED_VERSION, naming the contract, its versions and the fix', async () => {
    const count = received.length;
    const error = await client
      .call(PlaceV4, { lines: [{ sku: 'x', qty: 1 }], currency: 'EUR' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedVersionError);
    const message = (error as UnsupportedVersionError).message;
    expect(message).toContain("'shop.place' takes input versions 1, 2 or 3 (current: 3)");
    expect(message).toContain('deploy the service with version 4 before its callers');
    expect((error as UnsupportedVersionError).details).toMatchObject({ contract: 'shop.place', versions: [1, 2, 3] });
    const raw = await send('/commands/shop.place', {}, { 'tandem-contract-version': '4' });
    expect(raw).toMatchObject({
      status: 400,
      body: { code: 'TANDEM_UNSUPPORTED_VERSION', type: 'urn:tandem:problem:unsupported-version', requested: 4 },
    });
    expect(received).toHaveLength(count);
  });

  it('refuses an older version the contract no longer declares', async () => {
    const raw = await send('/commands/shop.refund', { orderId: 'o-1' }, { 'tandem-contract-version': '1' });
    expect(raw.status).toBe(400);
    expect(raw.body.code).toBe('TANDEM_UNSUPPORTED_VERSION');
    expect(raw.body.detail).toContain("'shop.refund' takes input versions 2 (current: 2)");
    expect(raw.body.detail).toContain('the service no longer declares version 1');
    expect(received.some((r) => r.handler === 'refund')).toBe(false);
  });

  it.each(['abc', '0', '1.0', '-1', '+2', '2, 3', '99999999999'])(
    'refuses the header %j as not a version',
    async (value) => {
      const raw = await send('/commands/shop.place', {}, { 'tandem-contract-version': value });
      expect(raw.status).toBe(400);
      expect(raw.body.code).toBe('TANDEM_UNSUPPORTED_VERSION');
      expect(raw.body.detail).toMatch(
        /^tandem-contract-version '.*' is not a version: 'shop\.place' takes input versions 1, 2 or 3/,
      );
      expect(raw.body.detail).toContain('leave the header out for the current version');
    },
  );

  it('answers 500 when an upcaster throws, without running the handler', async () => {
    const raw = await send('/commands/shop.cancel', { id: 'o-1' }, { 'tandem-contract-version': '1' });
    expect(raw).toMatchObject({ status: 500, body: { code: 'TANDEM_INTERNAL', detail: 'internal error' } });
    expect(received.some((r) => r.handler === 'cancel')).toBe(false);
  });

  it('upcasts a query read from the query string, JSON or flat', async () => {
    expect(await client.call(OrderV1, { id: 'o-7' })).toEqual({ id: 'o-7' });
    expect(lastReceived()).toEqual({ handler: 'order', input: { orderId: 'o-7' } });
    const flat = await send('/queries/shop.order?id=o-8', undefined, { 'tandem-contract-version': '1' });
    expect(flat).toEqual({ status: 200, body: { id: 'o-8' } });
    expect(lastReceived()).toEqual({ handler: 'order', input: { orderId: 'o-8' } });
    expect(await send('/queries/shop.order?orderId=o-9', undefined)).toEqual({ status: 200, body: { id: 'o-9' } });
  });
});

describe('versioned inputs behind an auth hook', () => {
  it('asks the hook first, then upcasts', async () => {
    const asked: string[] = [];
    const guarded = await start(({ headers }) => {
      asked.push(String(headers['tandem-contract-version']));
      if (headers.authorization !== 'Bearer ok') throw new UnauthorizedError('send Authorization: Bearer ok');
      return 'caller';
    });
    const ok = httpClient({ services: { shop: guarded.server.url! }, headers: { authorization: 'Bearer ok' } });
    const anonymous = httpClient({ services: { shop: guarded.server.url! } });
    try {
      expect(await anonymous.call(PlaceV1, { sku: 'x', qty: 1 }).catch((e: unknown) => e)).toBeInstanceOf(
        UnauthorizedError,
      );
      // Refused by the hook before the version is looked at.
      const newer = await anonymous
        .call(PlaceV4, { lines: [{ sku: 'x', qty: 1 }], currency: 'EUR' })
        .catch((e: unknown) => e);
      expect(newer).toBeInstanceOf(UnauthorizedError);
      expect((await ok.call(PlaceV1, { sku: 'pen', qty: 4 })).lines).toBe(1);
      expect(lastReceived()!.input).toEqual({ lines: [{ sku: 'pen', qty: 4 }], currency: 'EUR' });
      expect(asked).toEqual(['1', '4', '1']);
    } finally {
      await ok.close();
      await anonymous.close();
      await guarded.app.stop();
    }
  });
});
