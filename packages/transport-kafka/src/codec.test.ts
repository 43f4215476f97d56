import { Header, toBindingHeaders, type OutgoingMessage } from '@tandem/core';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, encodeRetryRecord, RetryHeader } from './codec.js';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const message: OutgoingMessage = {
  topic: 'orders.placed',
  key: 'order-1',
  headers: {
    [Header.id]: 'id-1',
    [Header.type]: 'orders.placed',
    [Header.specversion]: '1.0',
    [Header.source]: 'orders',
    [Header.contentType]: 'application/json',
    [Header.traceparent]: traceparent,
    [Header.tracestate]: 'vendor=1',
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

describe('Kafka CloudEvents binding (binary mode)', () => {
  it('writes ce_ headers, content-type, plain W3C trace headers and the key', () => {
    const record = encodeRecord(message);
    expect(record.key).toBe('order-1');
    expect(record.headers).toEqual({
      ce_id: 'id-1',
      ce_type: 'orders.placed',
      ce_specversion: '1.0',
      ce_source: 'orders',
      'content-type': 'application/json',
      ce_traceparent: traceparent,
      ce_tracestate: 'vendor=1',
      traceparent,
      tracestate: 'vendor=1',
      'x-custom': 'kept',
    });
    expect(Buffer.from(record.value as Buffer).toString()).toBe('{"n":1}');
  });

  it('names headers as the Kafka binding does, for every record and past the names it remembers', () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 1_500; i++) many[i % 2 ? `ce-ext${i}` : `x-h${i}`] = String(i);
    for (let round = 0; round < 2; round++) {
      const record = encodeRecord({ ...message, headers: { ...message.headers, ...many } });
      expect(record.headers).toEqual({
        ...toBindingHeaders({ ...message.headers, ...many }, { prefix: 'ce_' }),
        traceparent,
        tracestate: 'vendor=1',
      });
    }
    expect(encodeRecord(message).headers).toMatchObject({ ce_id: 'id-1', 'x-custom': 'kept' });
  });

  it('uses the partitionkey extension as the key when no key is given', () => {
    const { key: _key, ...noKey } = message;
    expect(encodeRecord({ ...noKey, headers: { ...message.headers, [Header.partitionkey]: 'pk' } }).key).toBe('pk');
    expect(encodeRecord(noKey).key).toBeNull();
  });

  it('reads back the same Tandem headers, key, body, id and origin', () => {
    const { message: decoded, due } = decodeRecord(asConsumed(encodeRecord(message)), {
      tandemTopic: 'orders.placed',
      partition: 2,
      retryTopic: false,
    });
    expect(due).toBeUndefined();
    expect(decoded.headers).toEqual(message.headers);
    expect(decoded.key).toBe('order-1');
    expect(decoded.id).toBe('id-1');
    expect(decoded.attempt).toBe(1);
    expect(decoded.origin).toEqual({ topic: 'orders.placed', partition: 2, offset: '7' });
  });

  it('accepts a record with only the plain traceparent header, and upper-case ce_ names', () => {
    const raw = asConsumed({ key: null, value: Buffer.from('x'), headers: { CE_ID: 'abc', traceparent } });
    const { message: decoded } = decodeRecord(raw, { tandemTopic: 't', partition: 0, retryTopic: false });
    expect(decoded.headers).toEqual({ [Header.id]: 'abc', [Header.traceparent]: traceparent });
  });

  it('gives a record without ce_id a stable position-based id', () => {
    const raw = asConsumed({ key: null, value: Buffer.from('x'), headers: {} }, '42');
    expect(decodeRecord(raw, { tandemTopic: 't', partition: 1, retryTopic: false }).message.id).toBe('t/1/42');
  });

  it('round-trips a retry record: original topic and origin, next attempt, due time, no bookkeeping headers', () => {
    const first = decodeRecord(asConsumed(encodeRecord(message), '9'), {
      tandemTopic: 'orders.placed',
      partition: 1,
      retryTopic: false,
    }).message;
    const retry = encodeRetryRecord(first, 'billing', 3, 1_700_000_000_000);
    expect(retry.headers).toMatchObject({
      [RetryHeader.due]: '1700000000000',
      [Header.group]: 'billing',
      [Header.originTopic]: 'orders.placed',
    });
    const { message: again, due } = decodeRecord(asConsumed(retry, '0'), {
      tandemTopic: 'billing.retry.1s',
      partition: 0,
      retryTopic: true,
    });
    expect(due).toBe(1_700_000_000_000);
    expect(again.topic).toBe('orders.placed');
    expect(again.attempt).toBe(3);
    expect(again.origin).toEqual({ topic: 'orders.placed', partition: 1, offset: '9' });
    expect(again.headers).toEqual({ ...message.headers, [Header.attempt]: '3' });
    expect(again.key).toBe('order-1');
  });

  it('reads attempt, due time and origin only from a retry topic: on an event topic a producer wrote them', () => {
    const forged = encodeRetryRecord(
      { ...message, id: 'id-1', attempt: 1, receivedAt: 0, origin: { topic: 'elsewhere', partition: 5, offset: '1' } },
      'billing',
      99_999,
      Number.MAX_SAFE_INTEGER,
    );
    const { message: decoded, due } = decodeRecord(asConsumed(forged, '11'), {
      tandemTopic: 'orders.placed',
      partition: 3,
      retryTopic: false,
    });
    expect(due).toBeUndefined();
    expect(decoded.attempt).toBe(1);
    expect(decoded.topic).toBe('orders.placed');
    expect(decoded.origin).toEqual({ topic: 'orders.placed', partition: 3, offset: '11' });
    expect(decoded.headers).not.toHaveProperty(Header.attempt);
    expect(decoded.headers).not.toHaveProperty(RetryHeader.due);
  });

  it('gives a record with an empty ce_id the position-based id too', () => {
    const raw = asConsumed({ key: null, value: Buffer.from('x'), headers: { ce_id: '' } }, '5');
    expect(decodeRecord(raw, { tandemTopic: 't', partition: 0, retryTopic: false }).message.id).toBe('t/0/5');
  });
});
