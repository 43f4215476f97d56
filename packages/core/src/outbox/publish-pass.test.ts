import { describe, expect, it } from 'vitest';
import type { OutboxRecord } from '../stores/store.js';
import { publishPass } from './publish-pass.js';

function rec(seq: number, key: string | undefined, attempts = 0): OutboxRecord {
  return {
    seq: String(seq),
    message: { topic: 't', ...(key !== undefined ? { key } : {}), headers: {}, body: new Uint8Array() },
    attempts,
  };
}

/** A broker that refuses any batch holding one of `poison`, and remembers every call. */
function broker(poison: number[]) {
  const calls: string[][] = [];
  const confirmed: string[] = [];
  const refused: string[] = [];
  return {
    calls,
    confirmed,
    refused,
    steps: {
      publish: async (records: OutboxRecord[]) => {
        calls.push(records.map((r) => r.seq));
        if (records.some((r) => poison.includes(Number(r.seq)))) throw new Error('refused');
      },
      confirmed: async (records: OutboxRecord[]) => void confirmed.push(...records.map((r) => r.seq)),
      refused: async (record: OutboxRecord) => void refused.push(record.seq),
    },
  };
}

describe('publishPass', () => {
  it('halves a refused batch until the record is alone, and holds back the later records of its key', async () => {
    const b = broker([3]);
    const records = [rec(1, 'a'), rec(2, 'b'), rec(3, 'x'), rec(4, 'c'), rec(5, 'd'), rec(6, 'x'), rec(7, 'e')];
    const result = await publishPass(records, b.steps);
    expect(b.calls).toEqual([
      ['1', '2', '3', '4', '5', '6', '7'],
      ['1', '2', '3', '4'],
      ['1', '2'],
      ['3', '4'],
      ['3'],
      ['4'],
      // 6 shares x with the refused 3: left out.
      ['5', '7'],
    ]);
    expect(b.refused).toEqual(['3']);
    expect(b.confirmed).toEqual(['1', '2', '4', '5', '7']);
    expect(result).toMatchObject({ accepted: 5, refused: 1 });
  });

  it('sends records refused before after the new ones, as a batch of their own', async () => {
    const b = broker([]);
    await publishPass([rec(1, 'a', 2), rec(2, 'b'), rec(3, 'c', 1), rec(4, 'd')], b.steps);
    expect(b.calls).toEqual([
      ['2', '4'],
      ['1', '3'],
    ]);
  });

  it('never holds back keyless records', async () => {
    const b = broker([2]);
    await publishPass([rec(1, undefined), rec(2, undefined), rec(3, undefined), rec(4, 'a')], b.steps);
    expect(b.confirmed).toEqual(['1', '3', '4']);
    expect(b.refused).toEqual(['2']);
  });

  it('ends at the first refused record while the broker has accepted nothing in the pass', async () => {
    const b = broker([1, 2, 3, 4]);
    const result = await publishPass([rec(1, 'a'), rec(2, 'b'), rec(3, 'c'), rec(4, 'd')], b.steps);
    expect(b.calls).toEqual([['1', '2', '3', '4'], ['1', '2'], ['1']]);
    expect(result).toMatchObject({ accepted: 0, refused: 1 });
    expect((result.lastError as Error).message).toBe('refused');
  });

  it('goes on past refused records once the broker accepted something', async () => {
    const b = broker([2, 4]);
    const result = await publishPass([rec(1, 'a'), rec(2, 'b'), rec(3, 'c'), rec(4, 'd')], b.steps);
    expect(b.refused).toEqual(['2', '4']);
    expect(b.confirmed).toEqual(['1', '3']);
    expect(result).toMatchObject({ accepted: 2, refused: 2 });
  });

  it("lets the store's errors end the pass", async () => {
    const b = broker([]);
    const failing = { ...b.steps, confirmed: async () => Promise.reject(new Error('database down')) };
    await expect(publishPass([rec(1, 'a')], failing)).rejects.toThrow('database down');
  });
});
