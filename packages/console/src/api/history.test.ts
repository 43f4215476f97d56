import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { History, type HistorySource } from './history.js';

/** A broker whose backlog per group and an outbox whose counts the test sets, counting the reads. */
function source(groups: string[]) {
  const waiting = new Map<string, number>();
  const outbox = { waiting: 0, parked: 0 };
  const reads = { backlog: 0, outbox: 0 };
  const src: HistorySource = {
    groups: () => groups,
    backlog: (group) => {
      reads.backlog++;
      if (group === 'broken') return Promise.reject(new Error('broker down'));
      return Promise.resolve(waiting.get(group) ?? 0);
    },
    outboxCounts: () => {
      reads.outbox++;
      return Promise.resolve({ ...outbox });
    },
  };
  return { src, waiting, outbox, reads };
}

let history: History | undefined;
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  history?.stop();
  vi.useRealTimers();
});

describe('the lag and outbox history', () => {
  it('takes no sample until the first look, then one at once and one per interval', async () => {
    const s = source(['ledger', 'mail']);
    history = new History(s.src, { intervalMs: 1_000, samples: 10 }, 60_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(s.reads).toEqual({ backlog: 0, outbox: 0 });
    expect(history.sampling).toBe(false);

    expect(history.look().at).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    s.waiting.set('ledger', 7);
    s.outbox.waiting = 3;
    s.outbox.parked = 1;
    await vi.advanceTimersByTimeAsync(1_000);
    const seen = history.look();
    expect(seen.at).toHaveLength(2);
    expect(seen.lag).toEqual([
      { group: 'ledger', waiting: [0, 7] },
      { group: 'mail', waiting: [0, 0] },
    ]);
    expect(seen.outbox).toEqual({ waiting: [0, 3], parked: [0, 1] });
    expect(seen).toMatchObject({ intervalMs: 1_000, capacity: 10, lagCounted: true, outboxCounted: true });
    expect(seen.watchedForMs).toBe(1_000);
  });

  it('keeps at most `samples` samples, oldest out first, in time order', async () => {
    const s = source(['ledger']);
    history = new History(s.src, { intervalMs: 1_000, samples: 3 }, 60_000);
    history.look();
    for (let i = 1; i <= 5; i++) {
      s.waiting.set('ledger', i);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    const seen = history.look();
    expect(seen.lag[0]!.waiting).toEqual([3, 4, 5]);
    expect(seen.at).toEqual([...seen.at].sort((a, b) => a - b));
    expect(seen.at).toHaveLength(3);
  });

  it('samples at most maxGroups groups and counts the others', async () => {
    const groups = Array.from({ length: 50 }, (_, i) => `g${i}`);
    const s = source(groups);
    history = new History(s.src, { intervalMs: 1_000, maxGroups: 4 }, 60_000);
    history.look();
    await vi.advanceTimersByTimeAsync(0);
    const seen = history.look();
    expect(seen.lag.map((l) => l.group)).toEqual(['g0', 'g1', 'g2', 'g3']);
    expect(seen.groupsLeftOut).toBe(46);
    expect(s.reads.backlog).toBe(4);
  });

  it('stops sampling idleMs after the last look, dropping its samples, and starts anew on the next', async () => {
    const s = source(['ledger']);
    history = new History(s.src, { intervalMs: 1_000 }, 10_000);
    history.look();
    await vi.advanceTimersByTimeAsync(9_500);
    expect(history.look().at).toHaveLength(10);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(history.sampling).toBe(false);
    const readsWhenStopped = s.reads.backlog;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(s.reads.backlog).toBe(readsWhenStopped);
    const fresh = history.look();
    expect(fresh.at).toEqual([]);
    expect(fresh.watchedForMs).toBe(0);
  });

  it('answers null for a value the broker could not read, and for what the source cannot count', async () => {
    const s = source(['ledger', 'broken']);
    history = new History({ groups: s.src.groups, backlog: s.src.backlog! }, { intervalMs: 1_000 }, 60_000);
    history.look();
    await vi.advanceTimersByTimeAsync(0);
    const seen = history.look();
    expect(seen.lag).toEqual([
      { group: 'ledger', waiting: [0] },
      { group: 'broken', waiting: [null] },
    ]);
    expect(seen.outboxCounted).toBe(false);
    expect(seen.outbox).toEqual({ waiting: [null], parked: [null] });
  });
});
