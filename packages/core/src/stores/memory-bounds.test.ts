import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyBegin } from './store.js';
import { MemoryIdempotencyStore } from './memory-idempotency.js';
import { MemoryInbox } from './memory-inbox.js';
import { MemoryStore } from './memory-store.js';
import { MemoryTx } from './memory-tx.js';

const reader = new PeriodicExportingMetricReader({
  exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
  exportIntervalMillis: 60_000,
});
beforeAll(() => {
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});
afterAll(() => metrics.disable());

async function evictions(records: string): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  const points =
    resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'tandem.store.evictions')
      ?.dataPoints ?? [];
  return points
    .filter((p) => p.attributes['tandem.store.records'] === records)
    .reduce((n, p) => n + (p.value as number), 0);
}

function leaseOf(begun: IdempotencyBegin): string {
  if (begun.state !== 'started') throw new Error(`expected a started claim, got ${begun.state}`);
  return begun.lease;
}

const outcome = (n: number) => ({ kind: 'result' as const, json: JSON.stringify({ n }) });

describe('bounded in-memory idempotency records', () => {
  it('keeps at most maxEntries, dropping the oldest completed first and never a claim in flight', async () => {
    const store = new MemoryIdempotencyStore({ maxEntries: 3 });
    const before = await evictions('idempotency');
    const running = await store.begin('s', 'in-flight', 'fp', 60_000);
    for (let i = 1; i <= 5; i++) {
      const begun = await store.begin('s', `k${i}`, 'fp', 60_000);
      expect(await store.complete('s', `k${i}`, leaseOf(begun), outcome(i), 60_000)).toBe(true);
    }
    // The claim in flight stays, and of the completed ones the newest that fit beside it.
    expect(await store.begin('s', 'in-flight', 'fp', 60_000)).toEqual({ state: 'in-flight' });
    expect(await store.renew('s', 'in-flight', leaseOf(running), 60_000)).toBe(true);
    expect(await store.begin('s', 'k5', 'fp', 60_000)).toEqual({ state: 'completed', outcome: outcome(5) });
    expect(await store.begin('s', 'k4', 'fp', 60_000)).toEqual({ state: 'completed', outcome: outcome(4) });
    // k2 was forgotten early: its key is free again (and claiming it drops k4, the oldest).
    expect((await store.begin('s', 'k2', 'fp', 60_000)).state).toBe('started');
    expect(store.usage.entries).toBe(3);
    expect(store.evicted).toBe(4);
    expect((await evictions('idempotency')) - before).toBe(4);
  });

  it('keeps at most maxBytes of records', async () => {
    const store = new MemoryIdempotencyStore({ maxBytes: 100_000 });
    const big = { kind: 'result' as const, json: JSON.stringify('x'.repeat(10_000)) };
    for (let i = 0; i < 50; i++) {
      const begun = await store.begin('s', `k${i}`, 'fp', 60_000);
      await store.complete('s', `k${i}`, leaseOf(begun), big, 60_000);
    }
    expect((await store.begin('s', 'k0', 'fp', 60_000)).state).toBe('started');
    expect(store.usage.bytes).toBeLessThanOrEqual(100_000);
    expect(store.usage.entries).toBeGreaterThanOrEqual(3);
    expect(store.usage.entries).toBeLessThan(10);
    expect(await store.begin('s', 'k49', 'fp', 60_000)).toEqual({ state: 'completed', outcome: big });
  });

  it('is bounded by default: new keys without end cannot grow it past 100,000 records', async () => {
    const store = new MemoryStore().idempotency;
    for (let i = 0; i < 100_050; i++) {
      const begun = await store.begin('s', `key-${i}`, 'fp', 60_000);
      await store.complete('s', `key-${i}`, leaseOf(begun), outcome(i), 86_400_000);
    }
    expect((await store.begin('s', 'key-0', 'fp', 60_000)).state).toBe('started');
    expect(await store.begin('s', 'key-100049', 'fp', 60_000)).toEqual({
      state: 'completed',
      outcome: outcome(100_049),
    });
    expect(store.usage.entries).toBe(100_000);
    expect(store.evicted).toBe(51);
  });

  it('an outcome committed in a transaction moves its record to the end of the eviction order', async () => {
    const store = new MemoryIdempotencyStore({ maxEntries: 2 });
    const a = await store.begin('s', 'a', 'fp', 60_000);
    const b = await store.begin('s', 'b', 'fp', 60_000);
    await store.complete('s', 'b', leaseOf(b), outcome(2), 60_000);
    const tx = new MemoryTx();
    await store.completeIn(tx, 's', 'a', leaseOf(a), outcome(1), 60_000);
    tx.settle(true);
    const c = await store.begin('s', 'c', 'fp', 60_000);
    await store.complete('s', 'c', leaseOf(c), outcome(3), 60_000);
    expect(await store.begin('s', 'a', 'fp', 60_000)).toEqual({ state: 'completed', outcome: outcome(1) });
    expect((await store.begin('s', 'b', 'fp', 60_000)).state).toBe('started');
  });
});

describe('bounded in-memory inbox', () => {
  const record = async (inbox: MemoryInbox, id: string) => {
    const tx = new MemoryTx();
    const first = await inbox.record(tx, 'g', id);
    tx.settle(true);
    return first;
  };

  it('keeps at most maxEntries handled ids, forgetting the oldest first', async () => {
    const inbox = new MemoryInbox(60_000, { maxEntries: 3 });
    const before = await evictions('inbox');
    for (let i = 1; i <= 5; i++) expect(await record(inbox, `m${i}`)).toBe(true);
    // m1 was forgotten early (handled again, as after its retention), and m2 with it now.
    expect(await record(inbox, 'm1')).toBe(true);
    expect(await record(inbox, 'm5')).toBe(false);
    expect(await record(inbox, 'm4')).toBe(false);
    expect(inbox.usage.entries).toBe(3);
    expect(inbox.evicted).toBe(3);
    expect((await evictions('inbox')) - before).toBe(3);
  });

  it('keeps at most maxBytes of ids, which producers choose', async () => {
    const inbox = new MemoryStore({ inbox: { maxBytes: 50_000 } }).inbox;
    for (let i = 0; i < 20; i++) await record(inbox, `${i}-${'x'.repeat(10_000)}`);
    expect(await record(inbox, `0-${'x'.repeat(10_000)}`)).toBe(true);
    expect(inbox.usage.bytes).toBeLessThanOrEqual(50_000);
    expect(inbox.usage.entries).toBe(2);
    expect(await record(inbox, `19-${'x'.repeat(10_000)}`)).toBe(false);
  });
});
