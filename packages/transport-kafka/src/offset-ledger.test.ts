import { describe, expect, it } from 'vitest';
import { OffsetLedger } from './offset-ledger.js';

describe('OffsetLedger', () => {
  it('commits only the highest contiguous finished offset of a partition', () => {
    const ledger = new OffsetLedger();
    const [a, b, c] = ['10', '11', '12'].map((o) => ledger.track('t', 0, o));
    expect(ledger.finish('t', 0, b!)).toBe(false);
    expect(ledger.finish('t', 0, c!)).toBe(false);
    expect(ledger.pendingCommits()).toEqual([]);
    expect(ledger.finish('t', 0, a!)).toBe(true);
    expect(ledger.pendingCommits()).toEqual([{ topic: 't', partition: 0, offset: '13' }]);
  });

  it('keeps partitions apart and never offers the same commit twice', () => {
    const ledger = new OffsetLedger();
    const p0 = ledger.track('t', 0, '5');
    const p1 = ledger.track('t', 1, '0');
    ledger.track('t', 1, '1');
    ledger.finish('t', 0, p0);
    ledger.finish('t', 1, p1);
    const commits = ledger.pendingCommits();
    expect(commits).toEqual([
      { topic: 't', partition: 0, offset: '6' },
      { topic: 't', partition: 1, offset: '1' },
    ]);
    ledger.committed(commits);
    expect(ledger.pendingCommits()).toEqual([]);
    expect(ledger.unfinished).toBe(1);
  });

  it('handles offsets past 2^53 and long runs', () => {
    const ledger = new OffsetLedger();
    const slot = ledger.track('t', 0, '9007199254740993');
    ledger.finish('t', 0, slot);
    expect(ledger.pendingCommits()[0]!.offset).toBe('9007199254740994');
    const slots = Array.from({ length: 5000 }, (_, i) => ledger.track('t', 1, String(i)));
    for (const s of slots.reverse()) ledger.finish('t', 1, s);
    expect(ledger.pendingCommits().find((c) => c.partition === 1)!.offset).toBe('5000');
    expect(ledger.unfinished).toBe(0);
  });

  it('tracks a batch through a partition tracker as track() does', () => {
    const ledger = new OffsetLedger();
    const tracker = ledger.tracker('t', 2);
    const [a, b] = ['7', '8'].map((o) => tracker.track(o));
    expect(ledger.finish('t', 2, b!)).toBe(false);
    expect(ledger.position('t', 2)).toBe('7');
    expect(ledger.finish('t', 2, a!)).toBe(true);
    expect(ledger.pendingCommits()).toEqual([{ topic: 't', partition: 2, offset: '9' }]);
    expect(ledger.unfinished).toBe(0);
  });
});
