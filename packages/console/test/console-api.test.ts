import { eventually } from '@tandem/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CSRF_HEADER, consoleApi } from '../src/index.js';
import { getJson, Pay, rawGet, startBilling, type Started } from './fixtures.js';

let started: Started | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await started?.app.stop();
  started = undefined;
});

async function csrf(api: string): Promise<string> {
  return (await getJson<{ token: string }>(`${api}/csrf`)).body.token;
}

describe('the console API: who may use it', () => {
  it('is on outside production and answers this machine without a hook', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    started = await startBilling();
    const model = await getJson<{ services: string[]; groups: { group: string }[] }>(`${started.api}/model`);
    expect(model.status).toBe(200);
    expect(model.headers.get('cache-control')).toBe('no-store');
    expect(model.body.services).toEqual(['billing']);
    expect(model.body.groups.map((g) => g.group)).toEqual(['ledger']);
  });

  it('refuses, without a hook, a local request that names another host (DNS rebinding)', async () => {
    started = await startBilling();
    const { port } = new URL(started.api);
    const rebound = await rawGet(Number(port), '/_tandem/api/csrf', `evil.example:${port}`);
    expect(rebound.status).toBe(403);
    const local = await rawGet(Number(port), '/_tandem/api/csrf', `localhost:${port}`);
    expect(local.status).toBe(200);
  });

  it('answers only what the authorize hook allows', async () => {
    started = await startBilling({ authorize: (req) => req.headers['x-console-token'] === 's3cret' });
    const refused = await getJson<{ code: string }>(`${started.api}/model`);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('TANDEM_FORBIDDEN');
    const allowed = await getJson(`${started.api}/model`, { headers: { 'x-console-token': 's3cret' } });
    expect(allowed.status).toBe(200);
  });

  it('is off in production by default: nothing is served', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    started = await startBilling();
    const res = await getJson<{ code: string }>(`${started.api}/model`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('TANDEM_ROUTE_NOT_FOUND');
  });

  it('turned on in production, requires an authorize hook and keeps to it', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    expect(() => consoleApi({ enabled: true })).toThrow(expect.objectContaining({ code: 'TANDEM_CONFIG' }));
    started = await startBilling({ enabled: true, authorize: (req) => req.headers['x-console-token'] === 'ok' });
    expect((await getJson(`${started.api}/model`)).status).toBe(403);
    expect((await getJson(`${started.api}/model`, { headers: { 'x-console-token': 'ok' } })).status).toBe(200);
  });
});

describe('the console API: state changes', () => {
  async function oneDeadLetter(s: Started): Promise<string> {
    await s.app.call(Pay, { orderId: 'o-1', fail: true });
    let id = '';
    await eventually('a dead letter listed', async () => {
      const res = await getJson<{ groups: { deadLetters: { id: string }[] }[] }>(`${s.api}/dead-letters?group=ledger`);
      id = res.body.groups[0]?.deadLetters[0]?.id ?? '';
      return id !== '';
    });
    return id;
  }

  it('refuse a POST without the CSRF token, with a wrong one, and from another origin', async () => {
    started = await startBilling();
    const id = await oneDeadLetter(started);
    const url = `${started.api}/dead-letters/replay?group=ledger&id=${id}`;
    const missing = await getJson<{ code: string; check: string }>(url, { method: 'POST' });
    expect([missing.status, missing.body.check]).toEqual([403, 'csrf']);
    const wrong = await getJson<{ check: string }>(url, {
      method: 'POST',
      headers: { [CSRF_HEADER]: 'x'.repeat(43) },
    });
    expect([wrong.status, wrong.body.check]).toEqual([403, 'csrf']);
    const token = await csrf(started.api);
    const crossSite = await getJson<{ check: string }>(url, {
      method: 'POST',
      headers: { [CSRF_HEADER]: token, 'sec-fetch-site': 'cross-site' },
    });
    expect([crossSite.status, crossSite.body.check]).toEqual([403, 'origin']);
    const otherOrigin = await getJson<{ check: string }>(url, {
      method: 'POST',
      headers: { [CSRF_HEADER]: token, origin: 'http://evil.example' },
    });
    expect([otherOrigin.status, otherOrigin.body.check]).toEqual([403, 'origin']);
    // Nothing was replayed by the refused requests.
    const still = await getJson<{ groups: { deadLetters: unknown[] }[] }>(`${started.api}/dead-letters?group=ledger`);
    expect(still.body.groups[0]!.deadLetters).toHaveLength(1);
  });

  it('lists a dead letter, then replays it with the token', async () => {
    started = await startBilling();
    const id = await oneDeadLetter(started);
    const token = await csrf(started.api);
    const replayed = await getJson(`${started.api}/dead-letters/replay?group=ledger&id=${id}`, {
      method: 'POST',
      headers: { [CSRF_HEADER]: token, origin: new URL(started.api).origin },
    });
    expect(replayed).toMatchObject({ status: 200, body: { group: 'ledger', replayed: 1, of: 1 } });
    // The handler declines an order once only: the replayed letter is handled, and gone from the list.
    await eventually('the replayed letter handled', () => started!.handled.includes('o-1'));
    const after = await getJson<{ groups: { deadLetters: unknown[] }[] }>(`${started.api}/dead-letters?group=ledger`);
    expect(after.body.groups[0]!.deadLetters).toEqual([]);
  });

  it('discards a dead letter with the token', async () => {
    started = await startBilling();
    const id = await oneDeadLetter(started);
    const list = await getJson<{ canDiscard: boolean }>(`${started.api}/dead-letters`);
    expect(list.body.canDiscard).toBe(true);
    const discarded = await getJson(`${started.api}/dead-letters/discard?group=ledger&id=${id}`, {
      method: 'POST',
      headers: { [CSRF_HEADER]: await csrf(started.api) },
    });
    expect(discarded).toMatchObject({ status: 200, body: { group: 'ledger', discarded: 1, of: 1 } });
    const after = await getJson<{ groups: { deadLetters: unknown[] }[] }>(`${started.api}/dead-letters?group=ledger`);
    expect(after.body.groups[0]!.deadLetters).toEqual([]);
  });
});
