import { describe, expect, it } from 'vitest';
import { CrashGuard, type CommittedOffset } from './crash-guard.js';
import type { CommitEntry } from './offset-ledger.js';

function guardWith(committed: CommittedOffset[], positions: Record<number, string> = {}) {
  const commits: Array<[number, string, string | null | undefined]> = [];
  const guard = new CrashGuard({
    instance: 'me',
    slack: 10,
    read: async () => committed,
    unread: () => undefined,
    position: (_topic, partition) => positions[partition],
    commit: async (entries: CommitEntry[]) => {
      for (const e of entries) commits.push([e.partition, e.offset, e.metadata]);
    },
  });
  return { guard, commits };
}

const marked = (partition: number, offset: string, metadata: string): CommittedOffset => ({
  topic: 't',
  partition,
  offset,
  metadata,
});

describe('CrashGuard', () => {
  it('extends the marks of partitions handled side by side in one commit', async () => {
    const positions: Record<number, string> = { 0: '0', 1: '0' };
    const { guard, commits } = guardWith([], positions);
    await guard.plan('t', 0, ['0', '1', '2', '3', '4', '5', '6'], '6');
    await guard.plan('t', 1, ['0', '1', '2', '3'], '3');
    await guard.beforeShared('t', 0, '0');
    guard.committed([{ topic: 't', partition: 0, offset: '0', metadata: 'tandem/1 shared 0 10 me' }]);
    await guard.beforeShared('t', 1, '0');
    guard.committed([{ topic: 't', partition: 1, offset: '0', metadata: 'tandem/1 shared 0 10 me' }]);
    expect(guard.beforeShared('t', 1, '3')).toBeUndefined();
    commits.length = 0;
    positions[0] = '4';
    positions[1] = '2';
    // Partition 0 gets close to its mark: partition 1, which started handlers since its own, goes along.
    expect(guard.beforeShared('t', 0, '6')).toBeUndefined();
    await Promise.resolve();
    expect(commits).toEqual([
      [0, '4', 'tandem/1 shared 0 16 me'],
      [1, '2', 'tandem/1 shared 0 13 me'],
    ]);
  });

  it('marks a partition before its first handler starts, and again ahead of need', async () => {
    const positions: Record<number, string> = {};
    const { guard, commits } = guardWith([], positions);
    expect(await guard.plan('t', 0, ['0', '1', '2'], '2')).toEqual({ alone: 0, shared: 3 });
    expect(commits).toEqual([]); // nothing before a handler starts
    positions[0] = '0';
    const first = guard.beforeShared('t', 0, '0');
    expect(first).toBeInstanceOf(Promise); // waits: nothing is marked yet
    await first;
    expect(commits).toEqual([[0, '0', 'tandem/1 shared 0 10 me']]);
    guard.committed([{ topic: 't', partition: 0, offset: '0', metadata: 'tandem/1 shared 0 10 me' }]);
    for (const offset of ['1', '2', '3', '4', '5']) expect(guard.beforeShared('t', 0, offset)).toBeUndefined();
    expect(commits).toHaveLength(1);
    // Past half the slack: extended ahead of need, and the handler does not wait for it.
    positions[0] = '4';
    expect(guard.beforeShared('t', 0, '6')).toBeUndefined();
    expect(commits.at(-1)).toEqual([0, '4', 'tandem/1 shared 0 16 me']);
    // Ordinary commits carry the mark, `slack` past the furthest started handler.
    expect(guard.metadataFor('t', 0)).toBe('tandem/1 shared 0 16 me');
  });

  it("hands out another process's marked records one at a time, each on record before it runs", async () => {
    const { guard, commits } = guardWith([marked(0, '5', 'tandem/1 shared 0 7 other')]);
    expect(await guard.plan('t', 0, ['5', '6', '7', '8'], '8')).toEqual({ alone: 3, shared: 0 });
    expect(guard.isolating('t', 0)).toBe(true);
    for (const offset of ['5', '6']) {
      expect(await guard.startAlone('t', 0, offset)).toBe(1); // never failed alone: charged nothing
      expect(await guard.settledAlone('t', 0, offset)).toBe(false);
    }
    expect(await guard.startAlone('t', 0, '7')).toBe(1);
    expect(await guard.settledAlone('t', 0, '7')).toBe(true); // fetched past the mark, nothing outstanding
    expect(guard.isolating('t', 0)).toBe(false);
    expect(commits).toEqual([
      [0, '5', 'tandem/1 alone 1 7 me'],
      [0, '6', 'tandem/1 alone 0 7 me'],
      [0, '6', 'tandem/1 alone 1 7 me'],
      [0, '7', 'tandem/1 alone 0 7 me'],
      [0, '7', 'tandem/1 alone 1 7 me'],
      [0, '8', 'tandem/1 shared 0 7 me'],
    ]);
    expect(await guard.plan('t', 0, ['8'], '8')).toEqual({ alone: 0, shared: 1 });
    expect(guard.beforeShared('t', 0, '8')).toBeInstanceOf(Promise); // past the mark it had
  });

  it('counts the lone starts that never settled, its own start excepted', async () => {
    const { guard } = guardWith([
      marked(0, '5', 'tandem/1 alone 1 9 other'),
      marked(1, '3', 'tandem/1 alone 2 9 me'),
      marked(2, '4', 'tandem/1 shared 0 9 me'),
    ]);
    await guard.plan('t', 0, ['5'], '5');
    expect(await guard.startAlone('t', 0, '5')).toBe(3);
    await guard.plan('t', 1, ['3'], '3');
    expect(await guard.startAlone('t', 1, '3')).toBe(3);
    // Its own mark from before a rebalance: this process did not stop.
    expect(await guard.plan('t', 2, ['4'], '4')).toEqual({ alone: 0, shared: 1 });
  });

  it('does not count a lone delivery twice when it is handed back and run again', async () => {
    const { guard, commits } = guardWith([marked(0, '5', 'tandem/1 alone 1 9 other')]);
    await guard.plan('t', 0, ['5'], '5');
    expect(await guard.startAlone('t', 0, '5')).toBe(3);
    expect(await guard.startAlone('t', 0, '5')).toBe(3);
    expect(commits).toEqual([[0, '5', 'tandem/1 alone 2 9 me']]);
  });

  it('holds records past the mark until the lone ones have settled', async () => {
    const { guard } = guardWith([marked(0, '0', 'tandem/1 shared 0 1 other')]);
    expect(await guard.plan('t', 0, ['0', '1', '2'], '2')).toEqual({ alone: 2, shared: 0 });
    expect(await guard.plan('t', 0, ['2'], '2')).toEqual({ alone: 0, shared: 0 });
  });

  it('ignores a mark whose record is gone, and foreign metadata', async () => {
    const { guard } = guardWith([marked(0, '5', 'tandem/1 shared 0 9 other'), marked(1, '5', 'set by another tool')]);
    expect(await guard.plan('t', 0, ['7'], '7')).toEqual({ alone: 0, shared: 1 });
    expect(await guard.plan('t', 1, ['5'], '5')).toEqual({ alone: 0, shared: 1 });
    expect(guard.isolating('t', 0)).toBe(false);
  });

  it('clears the marks of partitions handed out as usual when the member stops normally', async () => {
    const { guard } = guardWith([marked(1, '0', 'tandem/1 shared 0 9 other')]);
    await guard.plan('t', 0, ['0'], '0');
    await guard.plan('t', 1, ['0'], '0');
    const positions = [
      { topic: 't', partition: 0, offset: '1' },
      { topic: 't', partition: 1, offset: '0' },
    ];
    expect(guard.clean(positions)).toEqual([{ topic: 't', partition: 0, offset: '1', metadata: null }]);
  });

  it('goes on without the marks when the committed offsets cannot be read', async () => {
    let reads = 0;
    const unread: unknown[] = [];
    const guard = new CrashGuard({
      instance: 'me',
      slack: 10,
      read: async () => {
        reads++;
        throw new Error('coordinator not available');
      },
      unread: (error) => unread.push(error),
      position: () => undefined,
      commit: async () => undefined,
    });
    await expect(guard.plan('t', 0, ['0'], '0')).rejects.toThrow('coordinator not available');
    await expect(guard.plan('t', 0, ['0'], '0')).rejects.toThrow('coordinator not available');
    expect(await guard.plan('t', 0, ['0'], '0')).toEqual({ alone: 0, shared: 1 });
    expect(reads).toBe(3);
    expect(unread).toHaveLength(1);
  });
});
