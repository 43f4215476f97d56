import { expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand } from '../contracts/contracts.js';
import { silentLogger } from '../log/logger.js';
import { createApp, type App } from '../runtime/app.js';
import type { IdempotencyBegin, IdempotencyOutcome, Store } from '../stores/store.js';
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

/** Idempotency records as leases, in and out of the handler's transaction. */
export function runIdempotencyConformance<Tx>(
  _harness: StoreHarness<Tx>,
  store: () => Promise<Store<Tx>>,
  timeout: number,
): void {
  const outcome: IdempotencyOutcome = { kind: 'result', json: '{"id":"a","n":1}' };
  const started = { state: 'started', lease: expect.any(String) };

  it('idempotency records: started, in flight, mismatch, completed, released, expired', { timeout }, async (t) => {
    const s = await store();
    const records = s.idempotency;
    if (!records) return t.skip();
    const scope = uniqueSegment('scope');
    const k1 = await records.begin(scope, 'k1', 'fp-a', 60_000);
    expect(k1).toEqual(started);
    expect(await records.begin(scope, 'k1', 'fp-a', 60_000)).toEqual({ state: 'in-flight' });
    expect(await records.begin(scope, 'k1', 'fp-b', 60_000)).toEqual({ state: 'mismatch' });
    expect(await records.begin(`${scope}-other`, 'k1', 'fp-b', 60_000)).toEqual(started);
    expect(await records.complete(scope, 'k1', leaseOf(k1), outcome, 60_000)).toBe(true);
    expect(await records.begin(scope, 'k1', 'fp-a', 60_000)).toEqual({ state: 'completed', outcome });
    expect(await records.begin(scope, 'k1', 'fp-b', 60_000)).toEqual({ state: 'mismatch' });
    // A completed record is not released, and not completed again.
    await records.release(scope, 'k1', leaseOf(k1));
    expect(await records.complete(scope, 'k1', leaseOf(k1), { kind: 'result' }, 60_000)).toBe(false);
    expect(await records.begin(scope, 'k1', 'fp-a', 60_000)).toEqual({ state: 'completed', outcome });

    const k2 = await records.begin(scope, 'k2', 'fp-a', 60_000);
    await records.release(scope, 'k2', 'not-the-owner');
    expect(await records.begin(scope, 'k2', 'fp-a', 60_000)).toEqual({ state: 'in-flight' });
    await records.release(scope, 'k2', leaseOf(k2));
    expect(await records.begin(scope, 'k2', 'fp-a', 60_000)).toEqual(started);

    const k3 = await records.begin(scope, 'k3', 'fp-a', 60_000);
    await records.complete(scope, 'k3', leaseOf(k3), outcome, 300);
    await sleep(600);
    expect(await records.begin(scope, 'k3', 'fp-b', 60_000)).toEqual(started);

    const error: IdempotencyOutcome = {
      kind: 'error',
      code: 'TANDEM_CONFLICT',
      message: 'sold out',
      details: { sku: 'x' },
    };
    const k4 = await records.begin(scope, 'k4', 'fp-a', 60_000);
    await records.complete(scope, 'k4', leaseOf(k4), error, 60_000);
    expect(await records.begin(scope, 'k4', 'fp-a', 60_000)).toEqual({ state: 'completed', outcome: error });
  });

  it(
    'idempotency leases: a lapsed lease taken by another owner can neither complete nor release the new one',
    { timeout },
    async (t) => {
      const s = await store();
      const records = s.idempotency;
      if (!records) return t.skip();
      const scope = uniqueSegment('scope');
      const stale = await records.begin(scope, 'k', 'fp', 200);
      await sleep(500);
      const fresh = await records.begin(scope, 'k', 'fp', 60_000);
      expect(fresh).toEqual(started);
      expect(leaseOf(fresh)).not.toBe(leaseOf(stale));
      expect(await records.renew(scope, 'k', leaseOf(stale), 60_000)).toBe(false);
      expect(await records.complete(scope, 'k', leaseOf(stale), { kind: 'result', json: '"stale"' }, 60_000)).toBe(
        false,
      );
      await records.release(scope, 'k', leaseOf(stale));
      expect(await records.begin(scope, 'k', 'fp', 60_000)).toEqual({ state: 'in-flight' });
      expect(await records.complete(scope, 'k', leaseOf(fresh), outcome, 60_000)).toBe(true);
      expect(await records.begin(scope, 'k', 'fp', 60_000)).toEqual({ state: 'completed', outcome });
    },
  );

  it(
    'idempotency leases: a run whose lease lapsed while nobody claimed the key still records its outcome',
    { timeout },
    async (t) => {
      // A store without completeIn records the outcome after the handler's commit. A pause there
      // longer than the lease (an event-loop stall, a slow round trip) must not leave a committed
      // run's key free, or the next request with it runs the command again.
      const s = await store();
      const records = s.idempotency;
      if (!records) return t.skip();
      const scope = uniqueSegment('scope');
      const lapsed = await records.begin(scope, 'k', 'fp', 200);
      await sleep(500);
      expect(await records.complete(scope, 'k', leaseOf(lapsed), outcome, 60_000)).toBe(true);
      expect(await records.begin(scope, 'k', 'fp', 60_000)).toEqual({ state: 'completed', outcome });
      expect(await records.begin(scope, 'k', 'other', 60_000)).toEqual({ state: 'mismatch' });
    },
  );

  it("idempotency leases: renewing keeps a long run's key from lapsing", { timeout }, async (t) => {
    const s = await store();
    const records = s.idempotency;
    if (!records) return t.skip();
    const scope = uniqueSegment('scope');
    const first = await records.begin(scope, 'k', 'fp', 300);
    for (let i = 0; i < 6; i++) {
      await sleep(100);
      expect(await records.renew(scope, 'k', leaseOf(first), 300)).toBe(true);
    }
    expect(await records.begin(scope, 'k', 'fp', 300)).toEqual({ state: 'in-flight' });
  });

  it(
    "idempotency in the transaction: the outcome commits with the handler's writes, and a rollback leaves the key claimed",
    { timeout },
    async (t) => {
      const s = await store();
      const records = s.idempotency;
      if (!records?.completeIn) return t.skip();
      const completeIn = records.completeIn.bind(records);
      const scope = uniqueSegment('scope');
      const a = await records.begin(scope, 'a', 'fp', 60_000);
      await expect(
        s.transaction(async (tx) => {
          expect(await completeIn(tx, scope, 'a', leaseOf(a), outcome, 60_000)).toBe(true);
          throw new Error('the handler failed after recording');
        }),
      ).rejects.toThrow('the handler failed');
      expect(await records.begin(scope, 'a', 'fp', 60_000)).toEqual({ state: 'in-flight' });
      await records.release(scope, 'a', leaseOf(a));
      expect(await records.begin(scope, 'a', 'fp', 60_000)).toEqual(started);

      // A lease that lapses while its transaction is committing the outcome is not taken over.
      const b = await records.begin(scope, 'b', 'fp', 200);
      let contender: Promise<unknown> | undefined;
      await s.transaction(async (tx) => {
        expect(await completeIn(tx, scope, 'b', leaseOf(b), outcome, 60_000)).toBe(true);
        await sleep(500);
        contender = records.begin(scope, 'b', 'fp', 60_000).catch((error: unknown) => error);
        await sleep(100);
      });
      // Blocked until the commit (a row lock) or told the key is in flight: never given the key.
      expect(['in-flight', 'completed']).toContain(((await contender) as IdempotencyBegin).state);
      expect(await records.begin(scope, 'b', 'fp', 60_000)).toEqual({ state: 'completed', outcome });
    },
  );
}

function leaseOf(begun: IdempotencyBegin): string {
  if (begun.state !== 'started') throw new Error(`expected a started claim, got ${begun.state}`);
  return begun.lease;
}

/** The whole Idempotency-Key flow over real HTTP. */
export function runIdempotencyHttpConformance<Tx>(
  harness: StoreHarness<Tx>,
  store: () => Promise<Store<Tx>>,
  started: (app: App) => App,
  timeout: number,
): void {
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
  it(
    'Idempotency-Key over HTTP: an answer larger than maxStoredBytes is returned but not kept; a replay says so and does not run again',
    { timeout },
    async (t) => {
      const s = await store();
      if (!s.idempotency || !harness.httpServer) return t.skip();
      const server = harness.httpServer();
      const { service } = storeTestContracts();
      const Big = defineCommand(`${service}.big`, {
        input: z.object({ id: z.string(), size: z.number() }),
        output: z.object({ id: z.string(), n: z.number(), pad: z.string() }),
      });
      let runs = 0;
      const app = started(
        createApp({
          name: service,
          store: s,
          http: server,
          relay: false,
          logger: silentLogger,
          idempotency: { maxStoredBytes: 1024 },
        }),
      );
      app.command(Big, async ({ id, size }) => ({ id, n: ++runs, pad: 'x'.repeat(size) }));
      await app.start();
      const send = (body: unknown, key: string) =>
        fetch(`${server.url}/commands/${Big.name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
        }).then(async (res) => ({
          status: res.status,
          body: await res.text(),
          replayed: res.headers.get('idempotent-replayed'),
        }));
      const first = await send({ id: 'a', size: 100_000 }, 'big-1');
      expect(first.status).toBe(200);
      expect(JSON.parse(first.body)).toEqual({ id: 'a', n: 1, pad: 'x'.repeat(100_000) });
      const replay = await send({ id: 'a', size: 100_000 }, 'big-1');
      expect(replay.status).toBe(409);
      expect(replay.replayed).toBe('true');
      expect(replay.body.length).toBeLessThan(2_000);
      expect(JSON.parse(replay.body)).toMatchObject({
        code: 'TANDEM_IDEMPOTENCY_RESULT_NOT_STORED',
        maxStoredBytes: 1024,
      });
      expect(runs).toBe(1);
      // An answer within the limit is kept and replayed as before.
      const small = await send({ id: 'b', size: 10 }, 'big-2');
      expect(await send({ id: 'b', size: 10 }, 'big-2')).toEqual({ ...small, replayed: 'true' });
      expect(runs).toBe(2);
    },
  );
}
