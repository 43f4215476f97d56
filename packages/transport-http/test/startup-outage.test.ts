import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitOpenError, createApp, service, silentLogger, type App } from '@tandem/core';
import { eventually, sleep } from '@tandem/core/testing';
import { httpClient, httpServer, type HttpClient } from '../src/index.js';
import { InventoryInstance, WhoAmI } from './balancing-fixtures.js';

/**
 * Regression: orders restarted before inventory was up; ten refused connections opened the
 * breaker for its whole reset timeout (10 s) and every call in it failed fast, long after
 * inventory was listening. The client runs with its default breaker and retry settings.
 */
const OUTAGE_MS = 2_000;

interface Outcome {
  started: number;
  ended: number;
  error?: unknown;
}

/** Four callers, each calling, then pausing 5 ms (so fast failures do not starve the event loop). */
function steadyLoad(client: HttpClient) {
  const outcomes: Outcome[] = [];
  let running = true;
  const done = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (running) {
        const started = performance.now();
        try {
          await client.call(WhoAmI, {});
          outcomes.push({ started, ended: performance.now() });
        } catch (error) {
          outcomes.push({ started, ended: performance.now(), error });
        }
        await sleep(5);
      }
    }),
  );
  return {
    outcomes,
    firstSuccessAfter: (at: number) => outcomes.find((o) => o.error === undefined && o.started >= at)?.ended,
    async stop() {
      running = false;
      await done;
    },
  };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a short outage at start-up stays short', () => {
  it('connection refused for 2 s: calls succeed again within a second of the service listening', async () => {
    const port = await freePort();
    const client = httpClient({ services: { inventory: `http://127.0.0.1:${port}` } });
    cleanups.push(() => client.close());
    const load = steadyLoad(client);
    cleanups.push(() => load.stop());
    await sleep(OUTAGE_MS);
    // While nothing listens, the circuit still opens and sheds calls.
    expect(load.outcomes.some((o) => o.error instanceof CircuitOpenError)).toBe(true);

    const instance = await InventoryInstance.start('inventory', '127.0.0.1', port);
    cleanups.push(() => instance.stop());
    const listeningAt = performance.now();
    await eventually('a call succeeds', () => load.firstSuccessAfter(listeningAt) !== undefined, 12_000);
    const recoveredAfter = load.firstSuccessAfter(listeningAt)! - listeningAt;
    await sleep(1_500);
    await load.stop();

    expect(recoveredAfter).toBeLessThan(1_200);
    const lateFailures = load.outcomes.filter((o) => o.error !== undefined && o.started > listeningAt + 1_200);
    expect(lateFailures.map((o) => String(o.error))).toEqual([]);
  });

  it('an instance that answers "not started yet" for 2 s: calls succeed within a second of its app starting', async () => {
    const tandem = httpServer({ listen: false, logger: silentLogger });
    const node: Server = createServer(tandem.handler);
    await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => node.close(resolve)));
    const client = httpClient({ services: { inventory: `http://127.0.0.1:${(node.address() as AddressInfo).port}` } });
    cleanups.push(() => client.close());
    const load = steadyLoad(client);
    cleanups.push(() => load.stop());
    await sleep(OUTAGE_MS);

    const app: App = createApp({
      services: [service('inventory').query(WhoAmI, () => ({ instance: 'started' }))],
      http: tandem,
      logger: silentLogger,
    });
    await app.start();
    cleanups.push(() => app.stop());
    const startedAt = performance.now();
    await eventually('a call succeeds', () => load.firstSuccessAfter(startedAt) !== undefined, 12_000);
    expect(load.firstSuccessAfter(startedAt)! - startedAt).toBeLessThan(1_200);
  });

  it('a service that keeps failing still opens the circuit, and is probed less and less often', async () => {
    const hits: number[] = [];
    const failing = createServer((req, res) => {
      hits.push(performance.now());
      req.resume();
      res.writeHead(500, { 'content-type': 'application/problem+json' }).end('{"code":"TANDEM_INTERNAL","status":500}');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => failing.close(resolve)));
    const client = httpClient({
      services: { inventory: `http://127.0.0.1:${(failing.address() as AddressInfo).port}` },
      breaker: { minResetTimeoutMs: 100, resetTimeoutMs: 800 },
    });
    cleanups.push(() => client.close());
    const load = steadyLoad(client);
    cleanups.push(() => load.stop());
    await eventually('the circuit opens', () => client.breakers().inventory?.state === 'open');
    const hitsAtOpen = hits.length;
    await sleep(3_000);
    await load.stop();
    // Open periods of 100, 200, 400, 800, 800 ms...: about 6 probes in 3 s, not one per call.
    const probes = hits.slice(hitsAtOpen - 1);
    expect(probes.length - 1).toBeGreaterThanOrEqual(3);
    expect(probes.length - 1).toBeLessThanOrEqual(9);
    const gaps = probes.slice(1).map((at, i) => at - probes[i]!);
    expect(gaps[0]).toBeLessThan(400);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(700);
    const rejected = load.outcomes.filter((o) => o.error instanceof CircuitOpenError).length;
    expect(rejected).toBeGreaterThan(load.outcomes.length / 2);
  });
});
