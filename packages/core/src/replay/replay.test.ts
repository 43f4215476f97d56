import { describe, expect, it } from 'vitest';
import type { EventHistory, PastEvent } from './history.js';
import { replay, type ReplayOptions } from './replay.js';

function events(count: number): PastEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `e${i}`,
    message: { topic: 't', key: `k${i % 3}`, headers: {}, body: new Uint8Array() },
    time: 1_000 + i,
  }));
}

function history(all: PastEvent[]): EventHistory {
  return {
    name: 'test history',
    count: async () => all.length,
    async *read(_query, batchSize) {
      for (let at = 0; at < all.length; at += batchSize) yield all.slice(at, at + batchSize);
    },
  };
}

const base: ReplayOptions = { group: 'g', types: ['t'], topics: ['t'], since: 0, until: 10_000 };

describe('replay', () => {
  it('delivers every event in order, in batches, and reports progress after each', async () => {
    const delivered: string[][] = [];
    const progress: number[] = [];
    const result = await replay(
      history(events(7)),
      { deliverTo: async (group, batch) => void delivered.push(batch.map((e) => `${group}:${e.id}`)) },
      { ...base, batchSize: 3, onProgress: (p) => progress.push(p.delivered) },
    );
    expect(result).toEqual({ group: 'g', history: 'test history', matched: 7, delivered: 7, dryRun: false });
    expect(delivered).toEqual([['g:e0', 'g:e1', 'g:e2'], ['g:e3', 'g:e4', 'g:e5'], ['g:e6']]);
    expect(progress).toEqual([0, 3, 6, 7]);
  });

  it('a dry run counts without reading or delivering', async () => {
    const result = await replay(
      { ...history(events(5)), read: () => Promise.reject(new Error('read in a dry run')) as never },
      { deliverTo: () => Promise.reject(new Error('delivered in a dry run')) },
      { ...base, dryRun: true },
    );
    expect(result).toMatchObject({ matched: 5, delivered: 0, dryRun: true });
  });

  it('stops between batches when its signal aborts, keeping what was delivered', async () => {
    const controller = new AbortController();
    let delivered = 0;
    const run = replay(
      history(events(10)),
      {
        deliverTo: async (_group, batch) => {
          delivered += batch.length;
          if (delivered >= 4) controller.abort(new Error('stopped by the operator'));
        },
      },
      { ...base, batchSize: 2, signal: controller.signal },
    );
    await expect(run).rejects.toThrow('stopped by the operator');
    expect(delivered).toBe(4);
  });

  it('says which option is wrong and how to fix it', async () => {
    const h = history([]);
    const d = { deliverTo: async () => undefined };
    await expect(replay(h, d, { ...base, group: '' })).rejects.toThrow(/--group/);
    await expect(replay(h, d, { ...base, types: [] })).rejects.toThrow(/--type/);
    await expect(replay(h, d, { ...base, since: 5, until: 5 })).rejects.toThrow(
      /--until .* must be later than --since/,
    );
    await expect(replay(h, d, { ...base, ratePerSecond: 0 })).rejects.toMatchObject({ code: 'TANDEM_CONFIG' });
    await expect(replay(h, d, { ...base, batchSize: 1.5 })).rejects.toThrow(/--batch/);
  });
});
