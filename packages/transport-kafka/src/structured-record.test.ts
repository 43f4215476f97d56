import { decodeEvent, Header, type OutgoingMessage } from '@tandem/core';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeEventRecord, encodeRecord, encodeRetryRecord } from './codec.js';
import { recordVerdict } from './history-window.js';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const message: OutgoingMessage = {
  topic: 'orders.placed',
  key: 'order-1',
  headers: {
    [Header.specversion]: '1.0',
    [Header.id]: 'id-1',
    [Header.source]: 'orders',
    [Header.type]: 'orders.placed',
    [Header.contentType]: 'application/json',
    [Header.partitionkey]: 'order-1',
    [Header.traceparent]: traceparent,
    'x-custom': 'kept',
  },
  body: new TextEncoder().encode('{"n":1}'),
};

/** What kafkajs hands a consumer: header values as Buffers. */
function asConsumed(record: ReturnType<typeof encodeRecord>, offset = '7'): KafkaMessage {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(record.headers ?? {})) headers[k] = Buffer.from(String(v));
  return {
    key: record.key === null || record.key === undefined ? null : Buffer.from(record.key),
    value: record.value as Buffer,
    headers,
    offset,
    timestamp: '0',
    attributes: 0,
  };
}

describe('Kafka CloudEvents binding, structured mode', () => {
  it('writes the event as one JSON value, with key, content-type, ce_id and the W3C trace header beside it', () => {
    const record = encodeEventRecord(message, 'structured');
    expect(record.key).toBe('order-1');
    expect(record.headers).toEqual({
      'content-type': 'application/cloudevents+json',
      ce_id: 'id-1',
      traceparent,
      'x-custom': 'kept',
    });
    expect(JSON.parse(Buffer.from(record.value as Buffer).toString())).toEqual({
      specversion: '1.0',
      id: 'id-1',
      source: 'orders',
      type: 'orders.placed',
      datacontenttype: 'application/json',
      partitionkey: 'order-1',
      data: { n: 1 },
    });
  });

  it('writes binary mode unless told otherwise', () => {
    expect(encodeEventRecord(message, 'binary')).toEqual(encodeRecord(message));
  });

  it('reads back the id, key and trace context before the body, and the event from the body', () => {
    const { message: incoming } = decodeRecord(asConsumed(encodeEventRecord(message, 'structured')), {
      tandemTopic: 'orders.placed',
      partition: 2,
      retryTopic: false,
    });
    expect(incoming).toMatchObject({ id: 'id-1', key: 'order-1', attempt: 1 });
    expect(incoming.headers[Header.traceparent]).toBe(traceparent);
    expect(decodeEvent(incoming)).toMatchObject({ id: 'id-1', type: 'orders.placed', data: { n: 1 } });
  });

  it('keeps the structured form through a retry record', () => {
    const { message: first } = decodeRecord(asConsumed(encodeEventRecord(message, 'structured')), {
      tandemTopic: 'orders.placed',
      partition: 2,
      retryTopic: false,
    });
    const { message: retried } = decodeRecord(asConsumed(encodeRetryRecord(first, 'g', 2, 1_000), '3'), {
      tandemTopic: 'g.retry.1s',
      partition: 0,
      retryTopic: true,
    });
    expect(retried).toMatchObject({ id: 'id-1', key: 'order-1', attempt: 2, topic: 'orders.placed' });
    expect(retried.headers[Header.contentType]).toBe('application/cloudevents+json');
    expect(decodeEvent(retried)).toEqual(decodeEvent(first));
  });

  it('is found by its type when a replay reads the topic history', () => {
    const record = { ...asConsumed(encodeEventRecord(message, 'structured')), timestamp: '1000' };
    const where = { tandemTopic: 'orders.placed', partition: 0 };
    const verdict = recordVerdict(record, where, { types: ['orders.placed'], since: 0, until: 2_000 });
    expect(verdict).toMatchObject({ event: { id: 'id-1', message: { key: 'order-1' } } });
    expect(recordVerdict(record, where, { types: ['orders.shipped'], since: 0, until: 2_000 })).toBe('skip');
  });
});
