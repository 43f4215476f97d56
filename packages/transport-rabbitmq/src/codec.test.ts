import { describe, expect, it } from 'vitest';
import { decodeEvent, Header, type OutgoingMessage } from '@tandem/core';
import type { Message } from 'amqplib';
import { decodeDelivery, encodeMessage, encodePublish } from './codec.js';

const message: OutgoingMessage = {
  topic: 'orders.placed',
  key: 'o-1',
  headers: {
    [Header.id]: 'id-1',
    [Header.specversion]: '1.0',
    [Header.type]: 'orders.placed',
    [Header.source]: 'orders',
    [Header.contentType]: 'application/json',
    [Header.traceparent]: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    'x-custom': 'v',
  },
  body: new TextEncoder().encode('{"id":"o-1"}'),
};

function delivered(exchange: string, routingKey: string, publish: ReturnType<typeof encodeMessage>): Message {
  return {
    content: publish.content,
    fields: { exchange, routingKey, deliveryTag: 1, redelivered: false },
    properties: { ...publish.options, headers: { ...publish.options.headers } },
  } as unknown as Message;
}

describe('AMQP codec (CloudEvents AMQP binding, binary mode)', () => {
  it('writes ce- headers as cloudEvents_ properties and content-type as the AMQP property', () => {
    const out = encodeMessage(message, 'tandem.events', 'orders.placed', false);
    expect(out.options).toMatchObject({
      contentType: 'application/json',
      messageId: 'id-1',
      persistent: true,
      mandatory: false,
    });
    expect(out.options.headers).toEqual({
      cloudEvents_id: 'id-1',
      cloudEvents_specversion: '1.0',
      cloudEvents_type: 'orders.placed',
      cloudEvents_source: 'orders',
      cloudEvents_traceparent: message.headers[Header.traceparent],
      cloudEvents_partitionkey: 'o-1',
      'x-custom': 'v',
    });
  });

  it('reads back what it wrote: key, id, headers, attempt 1, topic from the routing key', () => {
    const m = decodeDelivery(
      delivered('tandem.events', 'orders.placed', encodeMessage(message, 'tandem.events', 'orders.placed', false)),
      'tandem.events',
      'q',
    );
    expect(m).toMatchObject({
      topic: 'orders.placed',
      key: 'o-1',
      id: 'id-1',
      attempt: 1,
      deliveryCount: 1,
      origin: { topic: 'orders.placed', queue: 'q' },
    });
    expect(m.headers).toMatchObject(message.headers);
  });

  it('takes the topic and attempt of a retried message from its headers, and drops broker bookkeeping', () => {
    const retried = encodeMessage(
      {
        ...message,
        headers: {
          ...message.headers,
          [Header.attempt]: '3',
          [Header.originTopic]: 'orders.placed',
          [Header.group]: 'g',
        },
      },
      '',
      'tandem.delay.g.1s',
      true,
    );
    const raw = delivered('', 'tandem.group.g', retried);
    (raw.properties.headers as Record<string, unknown>)['x-death'] = [
      { count: 1, reason: 'expired', queue: 'tandem.delay.g.1s' },
    ];
    (raw.properties.headers as Record<string, unknown>)['x-delivery-count'] = 2;
    const m = decodeDelivery(raw, 'tandem.events', 'tandem.group.g');
    expect(m).toMatchObject({ topic: 'orders.placed', attempt: 3 });
    expect(m.deliveryCount).toBe(1);
    expect(m.headers).not.toHaveProperty('x-death');
    expect(m.headers).not.toHaveProperty('x-delivery-count');
    expect(m.headers).not.toHaveProperty(Header.originTopic);
    expect(m.headers).not.toHaveProperty(Header.group);
  });

  it('leaves the delivery count of a redelivered message to the run ledger', () => {
    const raw = delivered(
      'tandem.events',
      'orders.placed',
      encodeMessage(message, 'tandem.events', 'orders.placed', false),
    );
    raw.fields.redelivered = true;
    expect(decodeDelivery(raw, 'tandem.events', 'q').deliveryCount).toBeUndefined();
  });

  it('gives a message without a CloudEvents id the AMQP message id, or a fresh one', () => {
    const bare = {
      content: Buffer.from('x'),
      fields: { exchange: 'e', routingKey: 't' },
      properties: { headers: {}, messageId: 'amqp-1' },
    } as unknown as Message;
    expect(decodeDelivery(bare, 'e', 'q').id).toBe('amqp-1');
    bare.properties.messageId = undefined;
    expect(decodeDelivery(bare, 'e', 'q').id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reads tandem-attempt only from the default exchange (retries, replays), never from the events exchange or another', () => {
    const forged = { ...message, headers: { ...message.headers, [Header.attempt]: '99999' } };
    const published = delivered(
      'tandem.events',
      'orders.placed',
      encodeMessage(forged, 'tandem.events', 'orders.placed', false),
    );
    const m = decodeDelivery(published, 'tandem.events', 'q');
    expect(m.attempt).toBe(1);
    expect(m.headers).not.toHaveProperty(Header.attempt);
    // An exchange bound to the events exchange (or to the group queue) is a producer's too.
    const bound = delivered('other', 'orders.placed', encodeMessage(forged, 'other', 'orders.placed', false));
    expect(decodeDelivery(bound, 'tandem.events', 'q').attempt).toBe(1);
    const retried = delivered('', 'tandem.group.g', encodeMessage(forged, '', 'tandem.delay.g.1s', true));
    expect(decodeDelivery(retried, 'tandem.events', 'q').attempt).toBe(99999);
  });

  it('reads an AMQP timestamp in cloudEvents_time as RFC 3339 text, as amqplib and other clients hand it over', () => {
    const at = Date.UTC(2026, 11, 3, 16, 0, 0);
    const withTime = (time: unknown) =>
      decodeDelivery(
        {
          content: Buffer.from('{}'),
          fields: { exchange: 'e', routingKey: 't' },
          properties: { headers: { cloudEvents_id: 'x', cloudEvents_time: time } },
        } as unknown as Message,
        'e',
        'q',
      ).headers[Header.time];
    expect(withTime({ '!': 'timestamp', value: at / 1000 })).toBe('2026-12-03T16:00:00.000Z');
    expect(withTime({ '!': 'timestamp', value: at })).toBe('2026-12-03T16:00:00.000Z');
    expect(withTime(new Date(at))).toBe('2026-12-03T16:00:00.000Z');
    expect(withTime('2026-12-03T16:00:00Z')).toBe('2026-12-03T16:00:00Z');
    expect(withTime(new Date(Number.NaN))).toBeUndefined();
    expect(withTime({ '!': 'timestamp', value: 1e300 })).toBeUndefined();
  });

  it('reads every header name the same however many distinct names it has seen, and drops bookkeeping each time', () => {
    // More names than the decoder remembers: the ones past its bound are translated every time.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 700; i++) {
        const headers: Record<string, unknown> = {
          [`cloudEvents_Ext${i}`]: `v${i}`,
          [`x-plain-${i}`]: i,
          'x-death': [{ count: 1 }],
          'x-delivery-count': 2,
          cloudEvents_id: `id-${i}`,
        };
        const decoded = decodeDelivery(
          {
            content: Buffer.from('{}'),
            fields: { exchange: 'ev', routingKey: 't', deliveryTag: i, redelivered: false },
            properties: { headers },
          } as unknown as Message,
          'ev',
          'q',
        ).headers;
        expect(decoded).toEqual({ [`ce-ext${i}`]: `v${i}`, [`x-plain-${i}`]: String(i), 'ce-id': `id-${i}` });
      }
    }
  });
});

describe('AMQP codec, structured mode', () => {
  const traceparent = message.headers[Header.traceparent]!;

  it('publishes the event as one JSON body, keeping message id, key and W3C trace context outside it', () => {
    const out = encodePublish(message, 'tandem.events', false, 'structured');
    expect(out.routingKey).toBe('orders.placed');
    expect(out.options).toMatchObject({ contentType: 'application/cloudevents+json', messageId: 'id-1' });
    expect(out.options.headers).toEqual({ cloudEvents_partitionkey: 'o-1', traceparent, 'x-custom': 'v' });
    expect(JSON.parse(out.content.toString())).toEqual({
      specversion: '1.0',
      id: 'id-1',
      source: 'orders',
      type: 'orders.placed',
      datacontenttype: 'application/json',
      data: { id: 'o-1' },
    });
  });

  it('publishes binary mode unless told otherwise', () => {
    expect(encodePublish(message, 'tandem.events', false, 'binary')).toEqual(
      encodeMessage(message, 'tandem.events', 'orders.placed', false),
    );
  });

  it('reads back the id, key and trace context before the body, and the event from the body', () => {
    const incoming = decodeDelivery(
      delivered('tandem.events', 'orders.placed', encodePublish(message, 'tandem.events', false, 'structured')),
      'tandem.events',
      'q',
    );
    expect(incoming).toMatchObject({ id: 'id-1', key: 'o-1', attempt: 1, topic: 'orders.placed' });
    expect(incoming.headers[Header.traceparent]).toBe(traceparent);
    expect(decodeEvent(incoming)).toMatchObject({ id: 'id-1', type: 'orders.placed', data: { id: 'o-1' } });
  });

  it('lets the CloudEvents trace attribute win over a W3C traceparent naming another context, in either order', () => {
    const other = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    for (const headers of [
      { traceparent: other, cloudEvents_traceparent: traceparent },
      { cloudEvents_traceparent: traceparent, traceparent: other },
    ]) {
      const decoded = decodeDelivery(
        {
          content: Buffer.from('{}'),
          fields: { exchange: 'ev', routingKey: 't', deliveryTag: 1, redelivered: false },
          properties: { headers },
        } as unknown as Message,
        'ev',
        'q',
      );
      expect(decoded.headers).toEqual({ [Header.traceparent]: traceparent });
    }
  });
});
