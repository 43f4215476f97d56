import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Activity } from '@tandem/core';
import { sampled, type SampledBatch } from './sampled.js';

const record = (i: number): Activity => ({
  kind: 'published',
  at: i,
  service: 'orders',
  type: 'orders.placed',
  id: `id-${i}`,
});

describe('sampled', () => {
  it('keeps at most K records per interval under 10k records/s, and counts every other one as dropped', async () => {
    const source = new Subject<Activity>();
    const batches: SampledBatch[] = [];
    const subscription = sampled(source, { perInterval: 20, intervalMs: 100 }).subscribe((b) => batches.push(b));
    // 10,000 records a second for two seconds: 100 every 10 ms.
    let sent = 0;
    for (let tick = 0; tick < 200; tick++) {
      for (let i = 0; i < 100; i++) source.next(record(sent++));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    subscription.unsubscribe();
    // What the feed held at any time is one batch: its records are bounded by K, whatever the rate.
    expect(Math.max(...batches.map((b) => b.records.length))).toBeLessThanOrEqual(20);
    const kept = batches.reduce((n, b) => n + b.records.length, 0);
    const dropped = batches.reduce((n, b) => n + b.dropped, 0);
    expect(kept + dropped).toBe(sent);
    expect(dropped).toBeGreaterThan(kept);
    // A loaded machine stretches the run: bounded by the intervals it took, never by the records sent.
    expect(kept).toBeLessThanOrEqual(20 * batches.length);
    const bytes = Math.max(...batches.map((b) => JSON.stringify(b).length));
    expect(bytes).toBeLessThan(20 * JSON.stringify(record(sent)).length + 100);
  });

  it('emits nothing for quiet intervals', async () => {
    const source = new Subject<Activity>();
    const batches: SampledBatch[] = [];
    const subscription = sampled(source, { intervalMs: 20 }).subscribe((b) => batches.push(b));
    await new Promise((resolve) => setTimeout(resolve, 100));
    source.next(record(1));
    await new Promise((resolve) => setTimeout(resolve, 60));
    subscription.unsubscribe();
    expect(batches).toEqual([{ records: [record(1)], dropped: 0 }]);
  });
});
