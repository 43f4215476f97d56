import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp, service, silentLogger } from '@tandem/core';
import { httpClient, httpServer, type HttpClient, type HttpClientOptions } from '../src/index.js';
import { InventoryInstance, keepCalling, Reserve, WhoAmI } from './balancing-fixtures.js';

let instances: InventoryInstance[] = [];
let client: HttpClient | undefined;
afterEach(async () => {
  await client?.close();
  await Promise.all(instances.map((i) => i.stop()));
  instances = [];
  client = undefined;
});

async function threeInstances() {
  instances = await Promise.all(['a', 'b', 'c'].map((name) => InventoryInstance.start(name)));
  return instances as [InventoryInstance, InventoryInstance, InventoryInstance];
}

describe('client-side balancing over three instances of one service', () => {
  it('spreads calls over every instance', async () => {
    const [a, b, c] = await threeInstances();
    client = httpClient({ services: { inventory: [a.url, b.url, c.url] } });
    const answers = await Promise.all(Array.from({ length: 90 }, () => client!.call(WhoAmI, {})));
    for (const instance of [a, b, c]) {
      expect(answers.filter((answer) => answer.instance === instance.name).length).toBeGreaterThanOrEqual(20);
      expect(instance.served).toBeGreaterThanOrEqual(20);
    }
  });

  it('takes a killed instance out of rotation with no failure after detection, and takes it back when it returns', async () => {
    const [a, b, c] = await threeInstances();
    // No retries at all: commands without a key are never retried, so what saves the calls is the balancer.
    client = httpClient({
      services: { inventory: [a.url, b.url, c.url] },
      retry: false,
      instanceHealth: { consecutiveFailures: 3, ejectionMs: 200, maxEjectionMs: 400 },
    });
    const load = keepCalling(8, () => client!.call(Reserve, { sku: 'x' }));
    await vi.waitFor(() => expect(Math.min(a.served, b.served, c.served)).toBeGreaterThan(50), { timeout: 5_000 });

    const killedAt = performance.now();
    b.kill();
    const servedAtKill = { a: a.served, c: c.served };
    await vi.waitFor(() =>
      expect(client!.instances().inventory!.find((i) => i.origin === b.url)?.state).toBe('ejected'),
    );
    await vi.waitFor(
      () => expect(Math.min(a.served - servedAtKill.a, c.served - servedAtKill.c)).toBeGreaterThan(300),
      {
        timeout: 10_000,
      },
    );
    expect(client.breakers().inventory?.state).toBe('closed');

    const servedBeforeRestart = b.served;
    await b.listen();
    await vi.waitFor(() => expect(b.served - servedBeforeRestart).toBeGreaterThan(50), { timeout: 10_000 });
    expect(client.instances().inventory!.find((i) => i.origin === b.url)?.state).toBe('healthy');
    await load.stop();

    const failures = load.records.filter((r) => r.error !== undefined);
    const detectedAt = Math.min(...failures.map((r) => r.ended));
    expect(failures.length).toBeLessThanOrEqual(load.inFlightAt(killedAt));
    expect(failures.filter((r) => r.started >= detectedAt)).toEqual([]);
    expect(load.records.length - failures.length).toBeGreaterThan(500);
  });

  /** Two fixture instances and a third, listening on its own, whose app drains under load. */
  async function drainUnderLoad(options: Omit<HttpClientOptions, 'services'>) {
    const [a, c] = await Promise.all(['a', 'c'].map((name) => InventoryInstance.start(name)));
    instances = [a!, c!];
    let servedByB = 0;
    const bHttp = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const bApp = createApp({
      services: [service('inventory').command(Reserve, () => ({ instance: String(++servedByB) }))],
      http: bHttp,
      logger: silentLogger,
    });
    await bApp.start();
    client = httpClient({ services: { inventory: [a!.url, bHttp.url!, c!.url] }, ...options });
    const load = keepCalling(8, () => client!.call(Reserve, { sku: 'x' }));
    await vi.waitFor(() => expect(servedByB).toBeGreaterThan(50), { timeout: 5_000 });
    await bApp.stop();
    const servedAfterStop = a!.served + c!.served;
    await vi.waitFor(() => expect(a!.served + c!.served - servedAfterStop).toBeGreaterThan(300), { timeout: 10_000 });
    await load.stop();
    return load.records.filter((r) => r.error !== undefined);
  }

  it('sends a call refused with 503 shutting-down to another instance at once, retries off', async () => {
    const [a] = await Promise.all([InventoryInstance.start('a')]);
    instances = [a!];
    // An instance whose app is not serving yet refuses every call with 503 TANDEM_SHUTTING_DOWN.
    const refusing = createServer(httpServer({ listen: false, logger: silentLogger }).handler);
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const refusingUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
    try {
      client = httpClient({ services: { inventory: [refusingUrl, a!.url] }, retry: false });
      const answers = await Promise.all(Array.from({ length: 30 }, () => client!.call(Reserve, { sku: 'x' })));
      expect(answers.every((answer) => answer.instance === 'a')).toBe(true);
      expect(client.instances().inventory!.find((i) => i.origin === refusingUrl)?.state).toBe('ejected');
    } finally {
      refusing.close();
    }
  });

  it('loses no call when an instance drains under load, with keyed commands and the default retries', async () => {
    // The Idempotency-Key makes the retry of a request that raced a closing connection safe.
    const failures = await drainUnderLoad({ idempotencyKeys: 'auto' });
    expect(failures.map((r) => String(r.error))).toEqual([]);
  });
});
