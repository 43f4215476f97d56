import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, service, ShuttingDownError, silentLogger, type App } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { httpClient, httpServer, type HttpClient } from '../src/index.js';
import { InventoryInstance, Reserve } from './balancing-fixtures.js';

/**
 * Which failed calls the balancer may send to another instance for a command without an
 * idempotency key, retries off: only those the first instance certainly never ran. The
 * suspected bug: a 503 TANDEM_SHUTTING_DOWN was taken for "never ran" whoever sent it, also
 * from a run aborted at a forced shutdown, or a handler that threw it after doing work.
 */
const CALLS = 8;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(listener: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function goodInstance(): Promise<InventoryInstance> {
  const a = await InventoryInstance.start('a');
  cleanups.push(() => a.stop());
  return a;
}

function clientOver(urls: string[]): HttpClient {
  const client = httpClient({ services: { inventory: urls }, retry: false, breaker: false });
  cleanups.push(() => client.close());
  return client;
}

/** CALLS keyless commands at once over [other, a]; round robin sends half of them to `other` first. */
async function spread(other: string, a: InventoryInstance) {
  const client = clientOver([other, a.url]);
  const results = await Promise.all(
    Array.from({ length: CALLS }, () =>
      client.call(Reserve, { sku: 'x' }).then(
        () => undefined,
        (error: unknown) => error,
      ),
    ),
  );
  return { failed: results.filter((r) => r !== undefined), servedByA: a.served };
}

function problem(status: number, body: object, headers: Record<string, string> = {}): RequestListener {
  return (req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/problem+json', ...headers }).end(JSON.stringify(body));
  };
}

describe('resent to another instance: only what certainly never ran', () => {
  it('connection refused: every call moves on and succeeds', async () => {
    const a = await goodInstance();
    const { server, url } = await listen(() => undefined);
    await new Promise((resolve) => server.close(resolve));
    const { failed, servedByA } = await spread(url, a);
    expect(failed).toEqual([]);
    expect(servedByA).toBe(CALLS);
  });

  it('a Tandem server that has not started (refused before any handler): every call moves on', async () => {
    const a = await goodInstance();
    const { url } = await listen(httpServer({ listen: false, logger: silentLogger }).handler);
    const { failed, servedByA } = await spread(url, a);
    expect(failed).toEqual([]);
    expect(servedByA).toBe(CALLS);
  });

  it('a Tandem app that is stopping refuses new calls before any handler: every call moves on', async () => {
    const a = await goodInstance();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let ran = 0;
    const tandem = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const app = createApp({
      services: [
        service('inventory').command(Reserve, async () =>
          ++ran === 1 ? (await held, { instance: 'b' }) : { instance: 'b' },
        ),
      ],
      http: tandem,
      logger: silentLogger,
      shutdownTimeoutMs: 10_000,
    });
    await app.start();
    // One call in flight keeps the app draining (and listening) while the others arrive.
    const inFlight = fetch(`${tandem.url}/commands/inventory.reserve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku":"x"}',
    });
    await eventually('the held call runs', () => ran === 1);
    const stopping = app.stop();
    const { failed, servedByA } = await spread(tandem.url!, a);
    release();
    await inFlight;
    await stopping;
    expect(ran).toBe(1);
    expect(failed).toEqual([]);
    expect(servedByA).toBe(CALLS);
  });

  it('a run aborted at a forced shutdown after it started is not sent again', async () => {
    const a = await goodInstance();
    let started = 0;
    const tandem = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const app: App = createApp({
      services: [
        service('inventory').command(Reserve, async (_input, ctx) => {
          started++;
          // Half-done work, then the shutdown deadline aborts the run: it throws the abort reason.
          await new Promise((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          );
          return { instance: 'b' };
        }),
      ],
      http: tandem,
      logger: silentLogger,
      shutdownTimeoutMs: 100,
    });
    await app.start();
    const client = clientOver([tandem.url!, a.url]);
    const calls = Array.from({ length: CALLS }, () => client.call(Reserve, { sku: 'x' }).catch((e: unknown) => e));
    await eventually('calls reach both instances', () => started > 0 && a.served > 0 && started + a.served === CALLS);
    const startedOnB = started;
    await app.stop();
    const results = await Promise.all(calls);
    expect(results.filter((r) => r instanceof Error)).toHaveLength(startedOnB);
    expect(a.served).toBe(CALLS - startedOnB);
  });

  it('a handler that threw ShuttingDownError after doing work is not sent again', async () => {
    const a = await goodInstance();
    let ran = 0;
    const tandem = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const app = createApp({
      services: [
        service('inventory').command(Reserve, () => {
          ran++;
          throw new ShuttingDownError('a downstream of ours is shutting down');
        }),
      ],
      http: tandem,
      logger: silentLogger,
    });
    await app.start();
    cleanups.push(() => app.stop());
    const { failed, servedByA } = await spread(tandem.url!, a);
    expect(ran).toBeGreaterThan(0);
    expect(failed).toHaveLength(ran);
    expect(servedByA).toBe(CALLS - ran);
  });

  const unsafeAnswers: Array<[string, RequestListener]> = [
    [
      'a 503 TANDEM_SHUTTING_DOWN problem without the server’s not-run mark',
      problem(503, { code: 'TANDEM_SHUTTING_DOWN', status: 503 }),
    ],
    ['a 503 TANDEM_ABORTED problem', problem(503, { code: 'TANDEM_ABORTED', status: 503 })],
    ['a 500 problem whose code is ECONNREFUSED', problem(500, { code: 'ECONNREFUSED', status: 500 })],
  ];
  for (const [what, listener] of unsafeAnswers) {
    it(`${what}: not sent again`, async () => {
      const a = await goodInstance();
      let hits = 0;
      const { url } = await listen((req, res) => {
        hits++;
        listener(req, res);
      });
      const { failed, servedByA } = await spread(url, a);
      expect(hits).toBeGreaterThan(0);
      expect(failed).toHaveLength(hits);
      expect(servedByA).toBe(CALLS - hits);
    });
  }
});
