import {
  createApp,
  defineEvent,
  MemoryBroker,
  MemoryTransport,
  NonRetryableError,
  silentLogger,
  type App,
} from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpServer, type HttpServerOptions } from '../src/index.js';

const Paid = defineEvent('payments.paid', { data: z.object({ orderId: z.string(), fail: z.boolean() }) });

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

/** An app on the in-process broker whose `billing` group dead-letters every event with `fail: true`. */
async function startBilling(options: HttpServerOptions): Promise<string> {
  const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger, ...options });
  const handled: string[] = [];
  // A broker of its own: the shared one keeps the dead letters of earlier tests.
  app = createApp({
    broker: new MemoryTransport({ broker: new MemoryBroker() }),
    http: server,
    logger: silentLogger,
    name: 'billing',
  });
  app.onEvent(Paid, (event) => {
    if (event.fail) throw new NonRetryableError(`card declined for ${event.orderId}`);
    handled.push(event.orderId);
  });
  await app.start();
  await app.publish(Paid, { orderId: 'o-1', fail: true }, { key: 'o-1' });
  await app.publish(Paid, { orderId: 'o-2', fail: true }, { key: 'o-2' });
  const started = app;
  await eventually('two dead letters', async () => (await started.broker.deadLetters!.list('billing')).length === 2);
  return server.url!;
}

describe('the admin dead-letter routes', () => {
  it("show the in-process broker's dead letters of every group, and replay them, when on", async () => {
    const url = await startBilling({ admin: { deadLetters: true } });
    const listed = await request(`${url}/admin/dead-letters`);
    expect(listed.statusCode).toBe(200);
    const body = (await listed.body.json()) as {
      groups: { group: string; deadLetters: { id: string; error: string; body: string }[] }[];
    };
    expect(body.groups).toHaveLength(1);
    expect(body.groups[0]!.group).toBe('billing');
    expect(body.groups[0]!.deadLetters.map((l) => l.error)).toEqual([
      'TANDEM_NON_RETRYABLE: card declined for o-1',
      'TANDEM_NON_RETRYABLE: card declined for o-2',
    ]);
    expect(JSON.parse(body.groups[0]!.deadLetters[0]!.body)).toEqual({ orderId: 'o-1', fail: true });

    const id = body.groups[0]!.deadLetters[0]!.id;
    const replayed = await request(`${url}/admin/dead-letters/replay?group=billing&id=${id}`, { method: 'POST' });
    expect(replayed.statusCode).toBe(200);
    expect(await replayed.body.json()).toEqual({ group: 'billing', replayed: 1, of: 1 });
    // It fails again (the handler still declines it) and comes back as a dead letter.
    await eventually('the replayed letter back', async () => {
      const res = await request(`${url}/admin/dead-letters?group=billing&limit=5`);
      const again = (await res.body.json()) as { groups: { deadLetters: { id: string }[] }[] };
      return again.groups[0]!.deadLetters.length === 2 && again.groups[0]!.deadLetters[1]!.id === id;
    });
  });

  it('are not served unless turned on', async () => {
    const url = await startBilling({});
    const res = await request(`${url}/admin/dead-letters`);
    expect(res.statusCode).toBe(404);
    expect(((await res.body.json()) as { code: string }).code).toBe('TANDEM_ROUTE_NOT_FOUND');
  });

  it('answer only what the authorize hook allows, and name a mistake in a problem', async () => {
    const url = await startBilling({
      admin: { deadLetters: true, authorize: (req) => req.headers['x-admin-token'] === 's3cret' },
    });
    const refused = await request(`${url}/admin/dead-letters`);
    expect(refused.statusCode).toBe(403);
    expect(((await refused.body.json()) as { code: string }).code).toBe('TANDEM_FORBIDDEN');
    const headers = { 'x-admin-token': 's3cret' };
    const unknown = await request(`${url}/admin/dead-letters?group=nope`, { headers });
    expect(unknown.statusCode).toBe(400);
    expect(((await unknown.body.json()) as { detail: string }).detail).toBe(
      "no consumer group 'nope' in this app; its groups: billing",
    );
    const ok = await request(`${url}/admin/dead-letters?group=billing`, { headers });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
  });

  it('by default answer only requests from this machine addressed to it, and refuse cross-site changes', async () => {
    const url = await startBilling({ admin: { deadLetters: true } });
    const local = await request(`${url}/admin/dead-letters?group=billing`);
    expect(local.statusCode).toBe(200);
    await local.body.dump();
    // DNS rebinding: a page at attacker.example whose name now resolves to 127.0.0.1.
    const rebound = await request(`${url}/admin/dead-letters?group=billing`, {
      headers: { host: 'attacker.example:8080' },
    });
    expect(rebound.statusCode).toBe(403);
    await rebound.body.dump();
    const crossSite = await request(`${url}/admin/dead-letters/replay?group=billing&all=true`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'cross-site', origin: 'https://attacker.example' },
    });
    expect(crossSite.statusCode).toBe(403);
    await crossSite.body.dump();
    expect((await app!.broker.deadLetters!.list('billing')).length).toBe(2);
  });
});
