import { memoryStore, type MemoryStore } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '../src/index.js';
import { getJson, seedSaga, startBilling, type Started } from './fixtures.js';

let started: Started | undefined;
afterEach(async () => {
  await started?.app.stop();
  started = undefined;
});

interface Summary {
  saga: string;
  id: string;
  status: string;
  reason: string | null;
  error: string | null;
}
interface List {
  sagas: string;
  canRetry: boolean;
  counts: Array<{ saga: string; status: string; count: number }>;
  instances: Summary[];
}

async function withSagas(): Promise<{ store: MemoryStore; api: string }> {
  const store = memoryStore();
  started = await startBilling({}, [], store);
  const now = Date.now();
  await seedSaga(store, 'o-1', 'completed', now - 3_000);
  await seedSaga(store, 'o-2', 'running', now - 2_000);
  await seedSaga(store, 'o-3', 'parked', now - 1_000);
  return { store, api: started.api };
}

describe('the console API: saga instances', () => {
  it('counts instances per saga and status, and lists them newest first', async () => {
    const { api } = await withSagas();
    const all = await getJson<List>(`${api}/sagas`);
    expect(all.status).toBe(200);
    expect(all.body.sagas).toBe('available');
    expect(all.body.canRetry).toBe(true);
    expect(all.body.counts.map((c) => [c.status, c.count]).sort()).toEqual([
      ['completed', 1],
      ['parked', 1],
      ['running', 1],
    ]);
    expect(all.body.instances.map((i) => i.id)).toEqual(['o-3', 'o-2', 'o-1']);
    expect(all.body.instances[0]).toMatchObject({ reason: 'payment failed', error: 'payments.void: gateway down' });
  });

  it('filters the list by saga and status, bounded by limit', async () => {
    const { api } = await withSagas();
    const parked = await getJson<List>(`${api}/sagas?saga=checkout&status=parked`);
    expect(parked.body.instances.map((i) => i.id)).toEqual(['o-3']);
    const other = await getJson<List>(`${api}/sagas?saga=shipping`);
    expect(other.body.instances).toEqual([]);
    const one = await getJson<List>(`${api}/sagas?limit=1`);
    expect(one.body.instances.map((i) => i.id)).toEqual(['o-3']);
    const bad = await getJson<{ code: string; detail: string }>(`${api}/sagas?status=stuck`);
    expect([bad.status, bad.body.code]).toEqual([400, 'TANDEM_MALFORMED_REQUEST']);
    expect(bad.body.detail).toContain('running, compensating, parked, completed, compensated');
  });

  it('answers one instance with its state and history, and 404 for one it does not have', async () => {
    const { api } = await withSagas();
    const one = await getJson<{ id: string; state: unknown; history: Array<{ input: string }>; failed: unknown }>(
      `${api}/sagas/instance?saga=checkout&id=o-3`,
    );
    expect(one.status).toBe(200);
    expect(one.body.state).toEqual({ orderId: 'o-3', note: '<b>bold</b>' });
    expect(one.body.history.map((h) => h.input)).toEqual(['orders.placed']);
    expect(one.body.failed).toEqual({ kind: 'command', name: 'payments.void' });
    const missing = await getJson<{ code: string }>(`${api}/sagas/instance?saga=checkout&id=o-404`);
    expect([missing.status, missing.body.code]).toEqual([404, 'TANDEM_NOT_FOUND']);
    const noId = await getJson<{ code: string }>(`${api}/sagas/instance?saga=checkout`);
    expect([noId.status, noId.body.code]).toEqual([400, 'TANDEM_MALFORMED_REQUEST']);
  });

  it('retries a parked instance only with the CSRF token, from the same origin', async () => {
    const { api, store } = await withSagas();
    const url = `${api}/sagas/retry?saga=checkout&id=o-3`;
    const missing = await getJson<{ check: string }>(url, { method: 'POST' });
    expect([missing.status, missing.body.check]).toEqual([403, 'csrf']);
    const token = (await getJson<{ token: string }>(`${api}/csrf`)).body.token;
    const crossSite = await getJson<{ check: string }>(url, {
      method: 'POST',
      headers: { [CSRF_HEADER]: token, 'sec-fetch-site': 'cross-site' },
    });
    expect([crossSite.status, crossSite.body.check]).toEqual([403, 'origin']);
    expect((await store.sagas.get('checkout', 'o-3'))?.status).toBe('parked');

    const retried = await getJson<{ status: string; pending: Array<{ command: string; compensation: boolean }> }>(url, {
      method: 'POST',
      headers: { [CSRF_HEADER]: token, origin: new URL(api).origin },
    });
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('compensating');
    expect(retried.body.pending).toEqual([expect.objectContaining({ command: 'payments.void', compensation: true })]);
    const stored = await store.sagas.get('checkout', 'o-3');
    expect(stored?.status).toBe('compensating');
    expect(stored?.data.history.at(-1)?.input).toBe('operator:retry');
    // The compensation goes through the outbox; the app's relay publishes it.
    await eventually('the outbox relayed the compensation', async () => (await store.outbox!.counts()).waiting === 0);

    const again = await getJson<{ code: string; detail: string }>(url, {
      method: 'POST',
      headers: { [CSRF_HEADER]: token },
    });
    expect([again.status, again.body.code]).toEqual([409, 'TANDEM_CONFLICT']);
    expect(again.body.detail).toContain('not parked');
    const none = await getJson<{ code: string }>(`${api}/sagas/retry?saga=checkout&id=o-404`, {
      method: 'POST',
      headers: { [CSRF_HEADER]: token },
    });
    expect([none.status, none.body.code]).toEqual([404, 'TANDEM_NOT_FOUND']);
  });

  it('says so when the store keeps no saga instances', async () => {
    started = await startBilling();
    const list = await getJson<List>(`${started.api}/sagas`);
    expect(list).toMatchObject({ status: 200, body: { sagas: 'none', canRetry: false, counts: [], instances: [] } });
    const one = await getJson<{ code: string; detail: string }>(`${started.api}/sagas/instance?saga=checkout&id=o-1`);
    expect([one.status, one.body.code]).toEqual([404, 'TANDEM_ROUTE_NOT_FOUND']);
    expect(one.body.detail).toContain('keeps no saga instances');
    const token = (await getJson<{ token: string }>(`${started.api}/csrf`)).body.token;
    const retry = await getJson<{ code: string }>(`${started.api}/sagas/retry?saga=checkout&id=o-1`, {
      method: 'POST',
      headers: { [CSRF_HEADER]: token },
    });
    expect([retry.status, retry.body.code]).toEqual([404, 'TANDEM_ROUTE_NOT_FOUND']);
  });
});
