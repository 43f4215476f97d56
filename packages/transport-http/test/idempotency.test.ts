import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  createApp,
  defineCommand,
  defineQuery,
  memoryStore,
  silentLogger,
  UnavailableError,
  type App,
} from '@tandem/core';
import { httpServer, REPLAYED_HEADER, type HttpServer } from '../src/index.js';

const Charge = defineCommand('billing.charge', {
  input: z.object({ amount: z.number(), outcome: z.enum(['ok', 'conflict', 'unavailable']).optional() }),
  output: z.object({ charge: z.number() }),
});
const Balance = defineQuery('billing.balance', { input: z.object({}), output: z.object({ runs: z.number() }) });

describe('Idempotency-Key on commands', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  async function start(options: { store?: boolean } = {}): Promise<{ server: HttpServer; runs: () => number }> {
    let runs = 0;
    const server = httpServer({
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      auth: ({ headers }) => (headers['x-user'] as string | undefined) ?? 'anonymous',
    });
    app = createApp({
      name: 'billing',
      http: server,
      logger: silentLogger,
      ...(options.store ? { store: memoryStore({ outbox: false }) } : {}),
    });
    app.command(Charge, async ({ amount, outcome }) => {
      runs++;
      if (outcome === 'conflict') throw new ConflictError('card already charged');
      if (outcome === 'unavailable') throw new UnavailableError('the card network is down');
      return { charge: amount * 100 + runs };
    });
    app.query(Balance, async () => ({ runs }));
    await app.start();
    return { server, runs: () => runs };
  }

  const post = (server: HttpServer, body: unknown, key: string, user = 'alice') =>
    fetch(`${server.url}/commands/billing.charge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, 'x-user': user },
      body: JSON.stringify(body),
    }).then(async (res) => ({
      status: res.status,
      body: await res.text(),
      replayed: res.headers.get(REPLAYED_HEADER),
      type: res.headers.get('content-type'),
    }));

  it('works without an app store, with records kept in the server process', async () => {
    const { server, runs } = await start();
    const first = await post(server, { amount: 1 }, 'k1');
    const again = await post(server, { amount: 1 }, 'k1');
    expect(first).toMatchObject({ status: 200, replayed: null });
    expect(again).toEqual({ ...first, replayed: 'true' });
    expect(runs()).toBe(1);
  });

  it('replays a 4xx answer with its status, and does not keep a 5xx one so the client may retry', async () => {
    const { server, runs } = await start({ store: true });
    const conflict = await post(server, { amount: 1, outcome: 'conflict' }, 'k-409');
    expect(conflict.status).toBe(409);
    expect(await post(server, { amount: 1, outcome: 'conflict' }, 'k-409')).toEqual({ ...conflict, replayed: 'true' });
    expect(runs()).toBe(1);

    expect((await post(server, { amount: 1, outcome: 'unavailable' }, 'k-503')).status).toBe(503);
    expect((await post(server, { amount: 1, outcome: 'unavailable' }, 'k-503')).status).toBe(503);
    expect(runs()).toBe(3);
  });

  it('scopes keys per caller and per command; a reused key with another body is 422', async () => {
    const { server, runs } = await start({ store: true });
    expect((await post(server, { amount: 1 }, 'shared', 'alice')).status).toBe(200);
    expect((await post(server, { amount: 1 }, 'shared', 'bob')).status).toBe(200);
    expect(runs()).toBe(2);
    const mismatch = await post(server, { amount: 2 }, 'shared', 'alice');
    expect(mismatch.status).toBe(422);
    expect(JSON.parse(mismatch.body)).toMatchObject({ code: 'TANDEM_IDEMPOTENCY_MISMATCH' });
    expect(runs()).toBe(2);
  });

  it('ignores the header on queries and rejects an over-long key', async () => {
    const { server } = await start({ store: true });
    const query = () =>
      fetch(`${server.url}/queries/billing.balance`, { headers: { 'idempotency-key': 'q' } }).then((r) => r.json());
    await post(server, { amount: 1 }, 'k');
    expect(await query()).toEqual({ runs: 1 });
    expect(await query()).toEqual({ runs: 1 });
    expect((await post(server, { amount: 1 }, 'x'.repeat(256))).status).toBe(400);
  });
});
