import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Activity, HandlerRunActivity } from '@tandem/core';
import { handlerStats, type HandlerStats } from './handler-stats.js';
import { edgeRates, type EdgeRates } from './edge-rates.js';

const run = (durationMs: number, outcome: HandlerRunActivity['outcome'] = 'ok'): Activity => ({
  kind: 'handler',
  at: 0,
  service: 'mailer',
  handler: 'orders.placed',
  handlerKind: 'event',
  group: 'mailer',
  type: 'orders.placed',
  outcome,
  durationMs,
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 80));

describe('handlerStats', () => {
  it('gives runs, failures and p50/p99 per handler over its window, with the durations sampled per tick', async () => {
    const source = new Subject<Activity>();
    let latest: HandlerStats[] = [];
    const subscription = handlerStats(source, { tickMs: 50, windowMs: 60_000, samplesPerTick: 1000 }).subscribe(
      (s) => (latest = s),
    );
    for (let d = 1; d <= 100; d++) source.next(run(d));
    source.next(run(500, 'retry'));
    source.next(run(600, 'dead-letter'));
    await tick();
    subscription.unsubscribe();
    expect(latest).toHaveLength(1);
    expect(latest[0]).toMatchObject({ handler: 'orders.placed', group: 'mailer', runs: 102, failures: 2 });
    expect(latest[0]).toMatchObject({ retries: 1, deadLetters: 1, p50Ms: 51 });
    expect(latest[0]!.p99Ms).toBe(500);
  });

  it('keeps at most samplesPerTick durations a tick, whatever the rate', async () => {
    const source = new Subject<Activity>();
    let latest: HandlerStats[] = [];
    const subscription = handlerStats(source, { tickMs: 50, samplesPerTick: 8 }).subscribe((s) => (latest = s));
    for (let i = 0; i < 10_000; i++) source.next(run(i % 2 === 0 ? 1 : 3));
    await tick();
    subscription.unsubscribe();
    expect(latest[0]!.runs).toBe(10_000);
    expect([1, 3]).toContain(latest[0]!.p50Ms);
  });
});

describe('edgeRates', () => {
  it('rates publish edges (service → type) and delivery edges (type → group)', async () => {
    const source = new Subject<Activity>();
    let latest: EdgeRates | undefined;
    const subscription = edgeRates(source, { tickMs: 50, windowMs: 60_000 }).subscribe((e) => (latest = e));
    source.next({ kind: 'published', at: 0, service: 'orders', type: 'orders.placed', id: '1' });
    source.next({ kind: 'published', at: 0, service: 'orders', type: 'orders.placed', id: '2' });
    source.next(run(1));
    source.next(run(1, 'retry'));
    await tick();
    subscription.unsubscribe();
    expect(latest!.published).toEqual([expect.objectContaining({ service: 'orders', type: 'orders.placed' })]);
    expect(latest!.delivered).toEqual([
      expect.objectContaining({ type: 'orders.placed', group: 'mailer', service: 'mailer' }),
    ]);
    expect(latest!.delivered[0]!.failuresPerSec * 2).toBeCloseTo(latest!.delivered[0]!.ratePerSec);
  });
});
