import { memoryStore } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { getJson, Pay, startBilling, type Started } from './fixtures.js';

let started: Started | undefined;
afterEach(async () => {
  await started?.app.stop();
  started = undefined;
});

/** The first answer of `GET history` that `ready` accepts (polled, for a loaded machine). */
async function historyWhen(api: string, what: string, ready: (seen: HistoryJson) => boolean): Promise<HistoryJson> {
  let seen: HistoryJson | undefined;
  await eventually(what, async () => {
    seen = (await getJson<HistoryJson>(`${api}/history`)).body;
    return ready(seen);
  });
  return seen!;
}

interface HistoryJson {
  intervalMs: number;
  capacity: number;
  watchedForMs: number;
  lagCounted: boolean;
  outboxCounted: boolean;
  at: number[];
  lag: Array<{ group: string; waiting: Array<number | null> }>;
  groupsLeftOut: number;
  outbox: { waiting: Array<number | null>; parked: Array<number | null> };
}

describe('the console API: lag and outbox history', () => {
  it('samples from the first look on, keeps a bounded ring, and stops once nobody looks', async () => {
    const store = memoryStore();
    started = await startBilling({ history: { intervalMs: 50, samples: 4 }, idleMs: 1_000 }, [], store);
    const api = started.api;
    // Nobody has looked yet: no sampler runs (the app builds nothing for the console).
    const first = await getJson<HistoryJson>(`${api}/history`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ intervalMs: 50, capacity: 4, lagCounted: true, outboxCounted: true });
    expect(first.body.watchedForMs).toBeLessThan(1_000);
    expect(first.body.at.length).toBeLessThanOrEqual(1);

    const full = await historyWhen(api, 'the ring full', (seen) => seen.at.length === 4);
    expect(full.lag).toEqual([
      { group: 'ledger', waiting: [expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)] },
    ]);
    expect(full.outbox.waiting.every((n) => typeof n === 'number')).toBe(true);
    expect(full.at).toEqual([...full.at].sort((a, b) => a - b));
    const later = await historyWhen(api, 'a newer sample in the full ring', (seen) => seen.at[0]! > full.at[0]!);
    expect(later.at).toHaveLength(4);

    // Events held in the ledger group show as lag: one in flight, two waiting; then none.
    const release = started.hold();
    for (const orderId of ['o-1', 'o-2', 'o-3']) await started.app.call(Pay, { orderId });
    await historyWhen(api, 'two events waiting for ledger', (seen) => seen.lag[0]!.waiting.at(-1) === 2);
    release();
    await historyWhen(api, 'the ledger caught up', (seen) => seen.lag[0]!.waiting.at(-1) === 0);

    // Idle for longer than idleMs: the sampler stops and drops its samples; the next look starts anew.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const fresh = (await getJson<HistoryJson>(`${api}/history`)).body;
    expect(fresh.watchedForMs).toBeLessThan(500);
    expect(fresh.at.length).toBeLessThanOrEqual(1);
    expect(fresh.at.every((at) => at > later.at.at(-1)!)).toBe(true);
  });

  it('answers null outbox values for an app without an outbox', async () => {
    started = await startBilling({ history: { intervalMs: 50 } });
    const seen = await historyWhen(started.api, 'a sample', (body) => body.at.length > 0);
    expect(seen.outboxCounted).toBe(false);
    expect(seen.outbox.waiting).toEqual(seen.at.map(() => null));
  });
});
