import { describe, expect, it } from 'vitest';
import { MemoryOutboxHistory } from './memory-outbox-history.js';

function row(seq: number, type = 'orders.placed', createdAt = Date.now(), bytes = 10) {
  return {
    seq,
    createdAt,
    message: { topic: type, headers: { 'ce-id': `id${seq}`, 'ce-type': type }, body: new Uint8Array(bytes) },
  };
}

const query = { types: ['orders.placed'], topics: ['orders.placed'], since: 0, until: Date.now() + 60_000 };

async function ids(history: MemoryOutboxHistory): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of history.read(query, 2)) out.push(...batch.map((e) => e.id));
  return out;
}

describe('the in-process outbox history', () => {
  it('reads in sequence order whatever order rows were marked in, and filters by type and window', async () => {
    const history = new MemoryOutboxHistory(60_000);
    history.keep([row(2), row(1), row(4, 'orders.cancelled')]);
    history.keep([row(3)]);
    expect(await ids(history)).toEqual(['id1', 'id2', 'id3']);
    expect(await history.count(query)).toBe(3);
    expect(await history.count({ ...query, until: 0 })).toBe(0);
  });

  it('drops the oldest past its event and byte bounds, and whatever is older than its retention', async () => {
    const bounded = new MemoryOutboxHistory(60_000, { maxEvents: 3 });
    bounded.keep([1, 2, 3, 4, 5].map((seq) => row(seq)));
    expect(await ids(bounded)).toEqual(['id3', 'id4', 'id5']);

    const bytes = new MemoryOutboxHistory(60_000, { maxBytes: 2_100 });
    bytes.keep([1, 2, 3].map((seq) => row(seq, 'orders.placed', Date.now(), 900)));
    expect(await ids(bytes)).toEqual(['id2', 'id3']);

    const aged = new MemoryOutboxHistory(1_000);
    aged.keep([row(1, 'orders.placed', Date.now() - 5_000), row(2)]);
    expect(await ids(aged)).toEqual(['id2']);
    expect(await aged.oldest()).toBeGreaterThan(Date.now() - 1_000);
  });
});
