import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../contracts/contracts.js';
import { ConfigError } from '../errors/errors.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import { contentModeOf, toStructuredMessage } from './content-mode.js';
import { decodeEvent, encodeEvent } from './envelope.js';
import { Header } from './headers.js';

const Placed = defineEvent('orders.placed', { data: z.object({ orderId: z.string(), total: z.number() }) });
const ORDER = { orderId: 'o-1', total: 12.5 };
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function delivered(message: OutgoingMessage): IncomingMessage {
  return { ...message, id: 'transport-id', attempt: 1, receivedAt: Date.now(), origin: { topic: message.topic } };
}

function binaryEvent(data: unknown): OutgoingMessage {
  return encodeEvent(Placed, data, {
    source: 'orders',
    key: 'o-1',
    id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
    time: new Date('2026-12-04T10:00:00.000Z'),
    correlationId: 'corr-1',
    causationId: 'cause-1',
    headers: { [Header.traceparent]: TRACEPARENT, [Header.tracestate]: 'k=v', 'x-custom': 'kept' },
  });
}

describe('toStructuredMessage', () => {
  it('writes every attribute and the data into one JSON object, trace context and other headers as headers', () => {
    const structured = toStructuredMessage(binaryEvent(ORDER));
    expect(structured.topic).toBe(Placed.topic);
    expect(structured.key).toBe('o-1');
    expect(structured.headers).toEqual({
      'content-type': 'application/cloudevents+json',
      traceparent: TRACEPARENT,
      tracestate: 'k=v',
      'x-custom': 'kept',
    });
    expect(JSON.parse(Buffer.from(structured.body).toString())).toEqual({
      specversion: '1.0',
      id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      source: 'orders',
      type: 'orders.placed',
      time: '2026-12-04T10:00:00.000Z',
      subject: 'o-1',
      datacontenttype: 'application/json',
      dataschema: 'urn:tandem:event:orders.placed:v1',
      correlationid: 'corr-1',
      causationid: 'cause-1',
      partitionkey: 'o-1',
      data: { orderId: 'o-1', total: 12.5 },
    });
  });

  it('decodes to the same event as the binary form', () => {
    const binary = binaryEvent(ORDER);
    expect(decodeEvent(delivered(toStructuredMessage(binary)))).toEqual(decodeEvent(delivered(binary)));
  });

  it('keeps the attribute headers a transport asks for', () => {
    const structured = toStructuredMessage(binaryEvent(ORDER), [Header.id]);
    expect(structured.headers[Header.id]).toBe('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b');
    expect(structured.headers[Header.type]).toBeUndefined();
  });

  it('carries extension attributes a producer set, and escapes what JSON must', () => {
    const binary = binaryEvent({ orderId: 'quote " and \\ and \u2028', total: 1 });
    binary.headers['ce-tenant'] = 'acme "west"';
    const structured = toStructuredMessage(binary);
    const body = JSON.parse(Buffer.from(structured.body).toString());
    expect(body.tenant).toBe('acme "west"');
    expect(body.data.orderId).toBe('quote " and \\ and \u2028');
  });

  it('keeps the partitioning extension as the key when the message has no key of its own', () => {
    const { key: _key, ...keyless } = binaryEvent(ORDER);
    expect(toStructuredMessage(keyless).key).toBe('o-1');
  });

  it('leaves out data when the event has none', () => {
    const structured = toStructuredMessage(binaryEvent(undefined));
    const body = JSON.parse(Buffer.from(structured.body).toString());
    expect('data' in body).toBe(false);
    expect(decodeEvent(delivered(structured)).data).toBeUndefined();
  });

  it('returns a message that is already structured or no binary-mode JSON event unchanged', () => {
    const structured = toStructuredMessage(binaryEvent(ORDER));
    expect(toStructuredMessage(structured)).toBe(structured);
    const foreign: OutgoingMessage = { topic: 't', headers: { 'x-a': '1' }, body: Buffer.from('not json') };
    expect(toStructuredMessage(foreign)).toBe(foreign);
    const text = binaryEvent(ORDER);
    text.headers[Header.contentType] = 'text/plain';
    expect(toStructuredMessage(text)).toBe(text);
  });
});

describe('contentModeOf', () => {
  it('defaults to binary and refuses anything but the two modes', () => {
    expect(contentModeOf('x', undefined)).toBe('binary');
    expect(contentModeOf('x', 'structured')).toBe('structured');
    expect(() => contentModeOf('rabbitmq contentMode', 'json')).toThrow(ConfigError);
    expect(() => contentModeOf('rabbitmq contentMode', 'json')).toThrow(
      "rabbitmq contentMode: expected 'binary' or 'structured', got 'json'",
    );
  });
});
