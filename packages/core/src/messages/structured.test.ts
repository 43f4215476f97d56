import { describe, expect, it } from 'vitest';
import { MalformedMessageError } from '../errors/errors.js';
import type { IncomingMessage } from '../transport/broker.js';
import { decodeEvent } from './envelope.js';
import { eventTypeOf } from './structured.js';

function received(headers: Record<string, string>, body: unknown): IncomingMessage {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    topic: 'orders.placed',
    headers,
    body: new TextEncoder().encode(text),
    id: 'transport-id',
    attempt: 1,
    receivedAt: Date.now(),
    origin: { topic: 'orders.placed' },
  };
}

const binary = {
  'ce-specversion': '1.0',
  'ce-id': 'b-1',
  'ce-source': '/other-service',
  'ce-type': 'orders.placed',
};

/** What the CloudEvents SDK's structured mode writes: the event's JSON with the SDK's default content type. */
const sdkEvent = {
  id: '5b3f6c2e-1f6d-4b7e-9f3a-0c1d2e3f4a5b',
  time: '2026-12-03T16:00:00.000Z',
  type: 'orders.placed',
  source: '/other-service',
  specversion: '1.0',
  datacontenttype: 'application/json',
  subject: 'o-1',
  correlationid: 'corr-1',
  data: { orderId: 'o-1' },
};
const STRUCTURED = { 'content-type': 'application/cloudevents+json; charset=utf-8' };

describe('binary mode content types', () => {
  it.each([
    'application/json',
    'text/json',
    'application/json; charset=utf-8',
    'application/vnd.acme.order+json',
    'TEXT/JSON',
  ])('reads JSON data sent as %s', (contentType) => {
    expect(decodeEvent(received({ ...binary, 'content-type': contentType }, { orderId: 'o-1' }))).toMatchObject({
      id: 'b-1',
      data: { orderId: 'o-1' },
    });
  });

  it.each(['text/plain', 'application/json-seq', 'application/octet-stream', 'json', ''])(
    'refuses data sent as %j',
    (contentType) => {
      expect(() => decodeEvent(received({ ...binary, 'content-type': contentType }, { orderId: 'o-1' }))).toThrow(
        /content type '.*' is not JSON; expected application\/json, text\/json/,
      );
    },
  );
});

describe('structured mode (application/cloudevents+json)', () => {
  it('reads an event as the CloudEvents SDK sends it', () => {
    expect(decodeEvent(received(STRUCTURED, sdkEvent))).toEqual({
      id: sdkEvent.id,
      type: 'orders.placed',
      source: '/other-service',
      time: sdkEvent.time,
      subject: 'o-1',
      correlationId: 'corr-1',
      data: { orderId: 'o-1' },
    });
  });

  it('reads data_base64 holding JSON, no datacontenttype as JSON, null attributes as unset, no data as undefined', () => {
    const { data: _data, ...attributes } = sdkEvent;
    const base64 = Buffer.from(JSON.stringify({ orderId: 'o-2' })).toString('base64');
    expect(decodeEvent(received(STRUCTURED, { ...attributes, data_base64: base64 })).data).toEqual({
      orderId: 'o-2',
    });
    const bare = { ...attributes, datacontenttype: null, subject: null, time: null, data: ['a'] };
    expect(decodeEvent(received({ 'content-type': 'Application/CloudEvents+JSON' }, bare))).toEqual({
      id: sdkEvent.id,
      type: 'orders.placed',
      source: '/other-service',
      correlationId: 'corr-1',
      data: ['a'],
    });
    expect(decodeEvent(received(STRUCTURED, attributes)).data).toBeUndefined();
  });

  it('takes the attributes from the body, not from binary-mode headers sent alongside', () => {
    const decoded = decodeEvent(received({ ...STRUCTURED, ...binary }, sdkEvent));
    expect(decoded.id).toBe(sdkEvent.id);
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['no id', { ...sdkEvent, id: undefined }, /lacks CloudEvents attributes: id$/],
    ['a null type and source', { ...sdkEvent, type: null, source: null }, /lacks CloudEvents attributes: source, type/],
    ['a numeric id', { ...sdkEvent, id: 42 }, /attribute 'id' must be a non-empty string, got a number/],
    ['an empty source', { ...sdkEvent, source: '' }, /attribute 'source' must be a non-empty string/],
    ['specversion 0.3', { ...sdkEvent, specversion: '0.3' }, /unsupported CloudEvents specversion '0.3'; expected 1.0/],
    ['a numeric subject', { ...sdkEvent, subject: 7 }, /attribute 'subject' must be a string, got a number/],
    ['a time that is no timestamp', { ...sdkEvent, time: 'yesterday' }, /'time' is not an RFC 3339 timestamp/],
    ['data and data_base64', { ...sdkEvent, data_base64: 'e30=' }, /both 'data' and 'data_base64'/],
    ['XML data', { ...sdkEvent, datacontenttype: 'application/xml', data: '<a/>' }, /'application\/xml' is not JSON/],
    ['data_base64 that is not base64', { ...sdkEvent, data: undefined, data_base64: '%%%' }, /not a base64 string/],
    [
      'data_base64 that is not JSON',
      { ...sdkEvent, data: undefined, data_base64: Buffer.from('{x').toString('base64') },
      /'data_base64' does not hold UTF-8 JSON/,
    ],
    ['a batch', [sdkEvent], /JSON array \(a batch\)/],
    ['a string', 'just text', /body is not valid UTF-8 JSON/],
    ['a number', 5, /body is not a JSON object/],
  ];
  it.each(invalid)('refuses an event with %s as malformed', (_what, body, reason) => {
    const attempt = () => decodeEvent(received(STRUCTURED, body));
    expect(attempt).toThrow(MalformedMessageError);
    expect(attempt).toThrow(/^structured CloudEvent on 'orders.placed': /);
    expect(attempt).toThrow(reason);
  });

  it('refuses other CloudEvents formats (batch, avro) with the one it reads', () => {
    for (const contentType of ['application/cloudevents-batch+json', 'application/cloudevents+avro']) {
      expect(() => decodeEvent(received({ 'content-type': contentType }, [sdkEvent]))).toThrow(
        /CloudEvents format '.*' is not supported; send application\/cloudevents\+json/,
      );
    }
  });
});

describe('eventTypeOf', () => {
  it('reads ce-type in binary mode and the body in structured mode, undefined where there is none', () => {
    expect(eventTypeOf(received(binary, {}))).toBe('orders.placed');
    expect(eventTypeOf(received(STRUCTURED, sdkEvent))).toBe('orders.placed');
    expect(eventTypeOf(received(STRUCTURED, 'not json'))).toBeUndefined();
    expect(eventTypeOf(received(STRUCTURED, { ...sdkEvent, type: 5 }))).toBeUndefined();
    expect(eventTypeOf(received({}, sdkEvent))).toBeUndefined();
  });
});
