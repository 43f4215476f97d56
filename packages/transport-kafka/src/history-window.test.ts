import { Header, type OutgoingMessage } from '@tandem/core';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from './codec.js';
import { replayedMessage } from './group-delivery.js';
import { partitionRanges, recordVerdict } from './history-window.js';

describe('the offsets a replay reads', () => {
  const offsets = [
    { partition: 0, low: '10', high: '50' },
    { partition: 1, low: '0', high: '0' },
    { partition: 2, low: '5', high: '20' },
  ];

  it('reads each partition from the offset found for `since` to the end when the read began', () => {
    const bySince = [
      { partition: 0, offset: '30' },
      { partition: 1, offset: '0' },
      { partition: 2, offset: '20' },
    ];
    const atZero = [
      { partition: 0, offset: '10' },
      { partition: 1, offset: '0' },
      { partition: 2, offset: '5' },
    ];
    // Partition 1 is empty; partition 2 has nothing at or after `since` (the broker answered its end).
    expect(partitionRanges(offsets, bySince, atZero)).toEqual([{ partition: 0, from: 30n, end: 50n }]);
  });

  it('reads from the log start where the broker does not look offsets up by timestamp', () => {
    // librdkafka's mock cluster answers the end for every timestamp, 0 included.
    const end = offsets.map(({ partition, high }) => ({ partition, offset: high }));
    expect(partitionRanges(offsets, end, end)).toEqual([
      { partition: 0, from: 10n, end: 50n },
      { partition: 2, from: 5n, end: 20n },
    ]);
  });

  it('never reads before the log start', () => {
    const answers = [{ partition: 0, offset: '10' }];
    expect(partitionRanges([offsets[0]!], [{ partition: 0, offset: '3' }], answers)).toEqual([
      { partition: 0, from: 10n, end: 50n },
    ]);
  });
});

function consumed(message: OutgoingMessage, timestamp: number, offset = '4'): KafkaMessage {
  const record = encodeRecord(message);
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(record.headers ?? {})) headers[k] = Buffer.from(String(v));
  return {
    key: record.key == null ? null : Buffer.from(record.key),
    value: record.value as Buffer,
    headers,
    timestamp: String(timestamp),
    attributes: 0,
    offset,
  };
}

describe('the records a replay keeps', () => {
  const placed: OutgoingMessage = {
    topic: 'orders.placed',
    key: 'o-1',
    headers: { [Header.id]: 'id-1', [Header.type]: 'orders.placed', [Header.attempt]: '3' },
    body: new TextEncoder().encode('{"n":1}'),
  };
  const query = { types: ['orders.placed'], since: 1_000, until: 2_000 };
  const where = { tandemTopic: 'orders.placed', partition: 2 };

  it('keeps a record of a wanted type in [since, until) with its id, key, headers and time', () => {
    const verdict = recordVerdict(consumed(placed, 1_000), where, query);
    expect(verdict).toEqual({
      event: {
        id: 'id-1',
        // A producer's attempt header is not the transport's: dropped, as for a live delivery.
        message: {
          topic: 'orders.placed',
          key: 'o-1',
          headers: { [Header.id]: 'id-1', [Header.type]: 'orders.placed' },
          body: expect.any(Uint8Array),
        },
        time: 1_000,
      },
    });
  });

  it('leaves out other types and earlier records, and says when a record is past the window', () => {
    const shipped = { ...placed, headers: { ...placed.headers, [Header.type]: 'orders.shipped' } };
    expect(recordVerdict(consumed(shipped, 1_500), where, query)).toBe('skip');
    expect(recordVerdict(consumed(placed, 999), where, query)).toBe('skip');
    expect(recordVerdict(consumed(placed, 2_000), where, query)).toBe('after-window');
  });

  it('gives a record without ce_id the id a live consumer gave it: its position', () => {
    const { [Header.id]: _, ...headers } = placed.headers;
    const record = consumed({ ...placed, headers }, 1_500, '9');
    const verdict = recordVerdict(record, where, query);
    const live = decodeRecord(record, { ...where, retryTopic: false }).message;
    expect(verdict !== 'skip' && verdict !== 'after-window' && verdict.event.id).toBe(live.id);
    expect(live.id).toBe('orders.placed/2/9');
  });

  it('replays an event as a first attempt with its id, from its own topic', () => {
    const event = { id: 'id-1', message: placed, time: 1_500 };
    const message = replayedMessage(event, 5_000);
    expect(message).toMatchObject({ id: 'id-1', attempt: 1, topic: 'orders.placed', key: 'o-1', receivedAt: 5_000 });
    expect(message.origin).toEqual({ topic: 'orders.placed' });
    expect(message.headers[Header.attempt]).toBeUndefined();
    expect(placed.headers[Header.attempt]).toBe('3');
  });
});
