import { expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { createApp, type App } from '../runtime/app.js';
import type { Store, StoredResponse } from '../stores/store.js';
import { isTandemError } from '../errors/errors.js';
import { sleep } from './harness.js';
import { storeTestContracts, uniqueSegment, type StoreHarness } from './store-harness.js';

/** Inbox semantics: first record wins, a rollback forgets, a concurrent duplicate never runs twice. */
export function runInboxConformance<Tx>(
  _harness: StoreHarness<Tx>,
  store: () => Promise<Store<Tx>>,
  timeout: number,
): void {
  it('inbox: records a message once per group; a rolled-back record does not count', { timeout }, async (t) => {
    const s = await store();
    const inbox = s.inbox;
    if (!inbox) return t.skip();
    const group = uniqueSegment('group');
    const id = uniqueSegment('message');
    await expect(
      s.transaction(async (tx) => {
        expect(await inbox.record(tx, group, id)).toBe(true);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await s.transaction((tx) => inbox.record(tx, group, id))).toBe(true);
    expect(await s.transaction((tx) => inbox.record(tx, group, id))).toBe(false);
    expect(await s.transaction((tx) => inbox.record(tx, `${group}-other`, id))).toBe(true);
  });

  it('inbox: a duplicate delivered while the first is still running is not handled twice', { timeout }, async (t) => {
    const s = await store();
    const inbox = s.inbox;
    if (!inbox) return t.skip();
    const group = uniqueSegment('group');
    const id = uniqueSegment('message');
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = s.transaction(async (tx) => {
      const recorded = await inbox.record(tx, group, id);
      await firstHolds;
      return recorded;
    });
    await sleep(50);
    // The second either waits for the first to commit and sees a duplicate, or is told to retry later.
    const second = s
      .transaction((tx) => inbox.record(tx, group, id))
      .then(
        (recorded) => ({ recorded }),
        (error: unknown) => ({ error }),
      );
    await sleep(50);
    releaseFirst();
    expect(await first).toBe(true);
    const outcome = await second;
    if ('recorded' in outcome) expect(outcome.recorded).toBe(false);
    else expect(isTandemError(outcome.error) && outcome.error.retriable).toBe(true);
  });
}

/** Idempotency records, then the whole Idempotency-Key flow over real HTTP. */
export function runIdempotencyConformance<Tx>(
  harness: StoreHarness<Tx>,
  store: () => Promise<Store<Tx>>,
  started: (app: App) => App,
  timeout: number,
): void {
  const response: StoredResponse = {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"id":"a","n":1}',
  };

  it('idempotency records: started, in flight, mismatch, completed, released, expired', { timeout }, async (t) => {
    const s = await store();
    const records = s.idempotency;
    if (!records) return t.skip();
    const scope = uniqueSegment('scope');
    expect(await records.begin(scope, 'k1', 'fp-a', 60_000)).toEqual({ state: 'started' });
    expect(await records.begin(scope, 'k1', 'fp-a', 60_000)).toEqual({ state: 'in-flight' });
    expect(await records.begin(scope, 'k1', 'fp-b', 60_000)).toEqual({ state: 'mismatch' });
    expect(await records.begin(`${scope}-other`, 'k1', 'fp-b', 60_000)).toEqual({ state: 'started' });
    await records.complete(scope, 'k1', response, 60_000);
    expect(await records.begin(scope, 'k1', 'fp-a', 60_000)).toEqual({ state: 'completed', response });
    expect(await records.begin(scope, 'k1', 'fp-b', 60_000)).toEqual({ state: 'mismatch' });

    expect(await records.begin(scope, 'k2', 'fp-a', 60_000)).toEqual({ state: 'started' });
    await records.release(scope, 'k2');
    expect(await records.begin(scope, 'k2', 'fp-a', 60_000)).toEqual({ state: 'started' });

    expect(await records.begin(scope, 'k3', 'fp-a', 60_000)).toEqual({ state: 'started' });
    await records.complete(scope, 'k3', response, 300);
    await sleep(600);
    expect(await records.begin(scope, 'k3', 'fp-b', 60_000)).toEqual({ state: 'started' });
  });

  it(
    'Idempotency-Key over HTTP: 100 concurrent requests run the handler once; the rest get its result or 409; later ones replay',
    { timeout },
    async (t) => {
      const s = await store();
      if (!s.idempotency || !harness.httpServer) return t.skip();
      const server = harness.httpServer();
      const { Place, service } = storeTestContracts();
      let runs = 0;
      const app = started(createApp({ name: service, store: s, http: server, relay: false, logger: silentLogger }));
      app.command(Place, async ({ id }) => {
        runs++;
        await sleep(150);
        return { id, n: runs };
      });
      await app.start();
      const url = `${server.url}/commands/${Place.name}`;
      const send = (body: unknown, key = 'key-100') =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
        }).then(async (res) => ({
          status: res.status,
          body: await res.text(),
          replayed: res.headers.get('idempotent-replayed'),
        }));
      const answers = await Promise.all(Array.from({ length: 100 }, () => send({ id: 'a' })));
      expect(runs).toBe(1);
      const ok = answers.filter((a) => a.status === 200);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
      expect(new Set(ok.map((a) => a.body))).toEqual(new Set(['{"id":"a","n":1}']));

      const later = await send({ id: 'a' });
      expect(later).toEqual({ status: 200, body: '{"id":"a","n":1}', replayed: 'true' });
      expect((await send({ id: 'b' })).status).toBe(422);
      expect(runs).toBe(1);
    },
  );
}
