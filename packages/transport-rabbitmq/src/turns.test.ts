import { describe, expect, it } from 'vitest';
import { deferred, sleep } from '@tandem/core/testing';
import { Turns } from './turns.js';

describe('turns of redelivered messages', () => {
  it('runs one at a time, fewest earlier crashes first, in arrival order among equals', async () => {
    const turns = new Turns(10_000);
    const order: string[] = [];
    const first = deferred();
    const running = turns.take(Promise.resolve(0), async () => {
      order.push('first');
      await first.promise;
    });
    const waiting = [
      turns.take(Promise.resolve(2), async () => void order.push('crashed twice')),
      turns.take(Promise.resolve(0), async () => void order.push('never ran a')),
      turns.take(Promise.resolve(1), async () => void order.push('crashed once')),
      turns.take(Promise.resolve(0), async () => void order.push('never ran b')),
    ];
    await sleep(10);
    expect(order).toEqual(['first']);
    first.resolve();
    await Promise.all([running, ...waiting]);
    expect(order).toEqual(['first', 'never ran a', 'never ran b', 'crashed once', 'crashed twice']);
  });

  it('keeps one that crashed before waiting while others are still being looked up', async () => {
    const turns = new Turns(10_000);
    const order: string[] = [];
    const lookup = deferred<number>();
    const suspect = turns.take(Promise.resolve(1), async () => void order.push('crashed once'));
    const other = turns.take(lookup.promise, async () => void order.push('never ran'));
    await sleep(10);
    expect(order).toEqual([]);
    lookup.resolve(0);
    await Promise.all([suspect, other]);
    expect(order).toEqual(['never ran', 'crashed once']);
  });

  it('lets the next one go when a turn lasts longer than the hold', async () => {
    const turns = new Turns(50);
    const order: string[] = [];
    void turns.take(Promise.resolve(0), async () => {
      order.push('hangs');
      await new Promise(() => undefined);
    });
    await turns.take(Promise.resolve(0), async () => void order.push('next'));
    expect(order).toEqual(['hangs', 'next']);
  });

  it('treats a failed lookup as rank 0 and a failing turn as ended', async () => {
    const turns = new Turns(10_000);
    await expect(turns.take(Promise.reject(new Error('no ledger')), async () => 'ran')).resolves.toBe('ran');
    await expect(turns.take(Promise.resolve(0), () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(turns.take(Promise.resolve(3), async () => 'after')).resolves.toBe('after');
  });
});
