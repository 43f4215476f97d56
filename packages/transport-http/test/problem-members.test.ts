import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { z } from 'zod';
import { ConflictError, createApp, defineCommand, service, silentLogger, type App } from '@tandem/core';
import { httpClient, httpServer, type HttpClient } from '../src/index.js';

/**
 * Regression: a handler error's `details` were spread over the RFC 9457 members, so
 * `details: { status: 'shipped' }` made writeHead throw inside the reply (an unhandled
 * rejection that ended the process) and `details: { type }` replaced the problem's type.
 */
const Ship = defineCommand('orders.ship', {
  input: z.object({ details: z.string() }),
  output: z.object({ ok: z.boolean() }),
});

const DETAILS: Record<string, Record<string, unknown>> = {
  status: { status: 'shipped' },
  numericStatus: { status: 200 },
  everyMember: {
    type: 'urn:example:shipped',
    title: 'Shipped',
    status: 'shipped',
    detail: 'a detail of the domain',
    code: 'TANDEM_NOT_FOUND',
    instance: '/elsewhere',
    details: { carrier: 'dhl' },
    orderId: 'o-7',
  },
  unencodable: { amount: 10n },
};

let apps: App[] = [];
let url: string;
let authUrl: string;
let client: HttpClient;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

async function start(auth: boolean): Promise<string> {
  const ship = service('orders').command(Ship, ({ details }) => {
    throw new ConflictError('order o-7 has already shipped', { details: DETAILS[details]! });
  });
  // With the auth hook, answers go through the server's awaited path instead of dispatch.
  const server = httpServer({
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    ...(auth ? { auth: () => 'someone' } : {}),
  });
  const app = createApp({ services: [ship], http: server, logger: silentLogger });
  await app.start();
  apps.push(app);
  return server.url!;
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  url = await start(false);
  authUrl = await start(true);
  client = httpClient({ services: { orders: url }, retry: false, breaker: false });
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await client.close();
  await Promise.all(apps.map((app) => app.stop()));
  apps = [];
});
afterEach(() => expect(unhandled.splice(0)).toEqual([]));

async function post(base: string, details: string) {
  const res = await request(`${base}/commands/orders.ship`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ details }),
    signal: AbortSignal.timeout(3_000),
  });
  return { status: res.statusCode, headers: res.headers, json: (await res.body.json()) as Record<string, unknown> };
}

describe('problem details: the RFC 9457 members are always the server’s', () => {
  for (const base of ['plain', 'auth'] as const) {
    it(`${base} path: details.status 'shipped' answers 409 with status 409`, async () => {
      const res = await post(base === 'plain' ? url : authUrl, 'status');
      expect(res.status).toBe(409);
      expect(res.json).toMatchObject({ status: 409, code: 'TANDEM_CONFLICT', details: { status: 'shipped' } });
    });
  }

  it('details.status 200 does not turn the error into a 200', async () => {
    const res = await post(url, 'numericStatus');
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ status: 409, details: { status: 200 } });
  });

  it('type, title, status, detail, code and instance stay the server’s; colliding details go under `details`', async () => {
    const res = await post(url, 'everyMember');
    expect(res.status).toBe(409);
    expect(res.json).toEqual({
      type: 'urn:tandem:problem:conflict',
      title: 'Conflict',
      status: 409,
      detail: 'order o-7 has already shipped',
      code: 'TANDEM_CONFLICT',
      instance: '/commands/orders.ship',
      orderId: 'o-7',
      details: {
        type: 'urn:example:shipped',
        title: 'Shipped',
        status: 'shipped',
        detail: 'a detail of the domain',
        code: 'TANDEM_NOT_FOUND',
        instance: '/elsewhere',
        details: { carrier: 'dhl' },
      },
    });
  });

  it('the typed client gets the ConflictError back with its details as they were thrown', async () => {
    for (const name of ['status', 'numericStatus', 'everyMember']) {
      const error = await client.call(Ship, { details: name }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as ConflictError).message).toBe('order o-7 has already shipped');
      expect((error as ConflictError).details).toEqual(DETAILS[name]);
    }
  });

  for (const base of ['plain', 'auth'] as const) {
    it(`${base} path: details JSON cannot encode end as a 500 problem, not an unhandled rejection`, async () => {
      const res = await post(base === 'plain' ? url : authUrl, 'unencodable');
      expect(res.status).toBe(500);
      expect(res.json).toMatchObject({ status: 500, code: 'TANDEM_INTERNAL', detail: 'internal error' });
    });
  }
});
