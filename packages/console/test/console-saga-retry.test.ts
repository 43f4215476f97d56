/**
 * The console's saga retry on a saga the runtime really parked (not a hand-built instance):
 * the checkout saga's payment is declined, its compensation (release the stock) keeps failing
 * until the instance parks; once the stock service is back, `POST sagas/retry` sends it back
 * to compensating and the running app finishes the compensation.
 */
import { createApp, MemoryBroker, MemoryTransport, memoryStore, silentLogger, type App } from '@tandem/core';
import { checkoutWorld, eventually } from '@tandem/core/testing';
import { httpServer } from '@tandem/transport-http';
import { afterEach, describe, expect, it } from 'vitest';
import { CSRF_HEADER, consoleApi } from '../src/index.js';
import { getJson } from './fixtures.js';

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

interface Instance {
  status: string;
  reason: string | null;
  error: string | null;
  failed: { kind: string; name: string } | null;
}

describe('the console API: retrying a saga the runtime parked', () => {
  it('sends it back to compensating, and the app carries the compensation through', { timeout: 60_000 }, async () => {
    const world = checkoutWorld();
    const checkout = world.checkout.name;
    const { Placed, Release } = world.contracts;
    const store = memoryStore();
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger, mounts: [consoleApi()] });
    app = createApp({
      name: world.prefix,
      services: [...world.services, world.checkout],
      broker: new MemoryTransport({ broker: new MemoryBroker() }),
      store,
      http: server,
      logger: silentLogger,
      sagaClock: { pollMs: 50 },
    });
    await app.start();
    const api = `${server.url!}/_tandem/api`;
    const instance = async () =>
      getJson<Instance>(`${api}/sagas/instance?saga=${encodeURIComponent(checkout)}&id=stuck`);

    world.paymentMode = 'decline';
    world.releaseMode = 'fail';
    await app.publish(Placed, { orderId: 'stuck', amount: 10 }, { key: 'stuck' });
    await eventually('the instance parks', async () => (await instance()).body?.status === 'parked', 40_000, 100);
    const parked = (await instance()).body;
    expect(parked.reason).toContain('card declined for stuck');
    expect(parked.error).toContain('stock service is down for releases');
    expect(parked.failed).toMatchObject({ kind: 'command', name: Release.name });
    expect(world.stock.get('stuck')).toBe('reserved');

    world.releaseMode = 'ok';
    const token = (await getJson<{ token: string }>(`${api}/csrf`)).body.token;
    const url = `${api}/sagas/retry?saga=${encodeURIComponent(checkout)}&id=stuck`;
    const retried = await getJson<{ status: string }>(url, {
      method: 'POST',
      headers: { [CSRF_HEADER]: token, origin: new URL(api).origin },
    });
    expect([retried.status, retried.body.status]).toEqual([200, 'compensating']);
    await eventually(
      'the instance is compensated',
      async () => (await instance()).body?.status === 'compensated',
      20_000,
    );
    expect(world.stock.get('stuck')).toBe('released');
    const runs = world.runs.filter((r) => r.orderId === 'stuck' && r.command === 'release');
    // The failed releases before parking, then the retried one that succeeded.
    expect(runs.length).toBeGreaterThan(1);
  });
});
