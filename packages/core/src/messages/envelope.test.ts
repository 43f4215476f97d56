import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../contracts/contracts.js';
import { MalformedMessageError } from '../errors/errors.js';
import type { IncomingMessage } from '../transport/broker.js';
import { decodeEvent, encodeEvent } from './envelope.js';
import { fromBindingHeaders, toBindingHeaders } from './headers.js';
import { uuidv7 } from './uuid.js';

const Shipped = defineEvent('shipping.shipped', { data: z.object({ orderId: z.string() }), version: 2 });

function incoming(m: ReturnType<typeof encodeEvent>): IncomingMessage {
  return { ...m, id: m.headers['ce-id']!, attempt: 1, receivedAt: Date.now(), origin: { topic: m.topic } };
}

describe('CloudEvents envelope', () => {
  it('writes the required attributes and Tandem extensions in binary mode', () => {
    const m = encodeEvent(
      Shipped,
      { orderId: 'o1' },
      { source: 'shipping', key: 'o1', causationId: 'c1', correlationId: 'r1' },
    );
    expect(m.topic).toBe('shipping.shipped');
    expect(m.key).toBe('o1');
    expect(m.headers).toMatchObject({
      'ce-specversion': '1.0',
      'ce-source': 'shipping',
      'ce-type': 'shipping.shipped',
      'ce-subject': 'o1',
      'ce-partitionkey': 'o1',
      'ce-correlationid': 'r1',
      'ce-causationid': 'c1',
      'ce-dataschema': 'urn:tandem:event:shipping.shipped:v2',
      'content-type': 'application/json',
    });
    expect(m.headers['ce-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Date(m.headers['ce-time']!).toISOString()).toBe(m.headers['ce-time']);
    expect(JSON.parse(new TextDecoder().decode(m.body))).toEqual({ orderId: 'o1' });
  });

  it('writes no correlationid that only repeats the id; readers take the id for it', () => {
    const root = encodeEvent(Shipped, { orderId: 'o4' }, { source: 'shipping' });
    expect(root.headers).not.toHaveProperty('ce-correlationid');
    const same = encodeEvent(Shipped, { orderId: 'o4' }, { source: 'shipping', id: 'e1', correlationId: 'e1' });
    expect(same.headers).not.toHaveProperty('ce-correlationid');
    expect(decodeEvent(incoming(same)).correlationId).toBeUndefined();
    const follow = encodeEvent(Shipped, { orderId: 'o4' }, { source: 'shipping', id: 'e2', correlationId: 'e1' });
    expect(follow.headers['ce-correlationid']).toBe('e1');
    expect(decodeEvent(incoming(follow)).correlationId).toBe('e1');
  });

  it('reads back what it wrote', () => {
    const m = encodeEvent(Shipped, { orderId: 'o2' }, { source: 'shipping' });
    expect(decodeEvent(incoming(m))).toMatchObject({
      type: 'shipping.shipped',
      source: 'shipping',
      data: { orderId: 'o2' },
    });
  });

  it('refuses messages that are not valid CloudEvents', () => {
    const m = incoming(encodeEvent(Shipped, { orderId: 'o3' }, { source: 's' }));
    const without = (name: string) => ({
      ...m,
      headers: Object.fromEntries(Object.entries(m.headers).filter(([k]) => k !== name)),
    });
    expect(() => decodeEvent(without('ce-type'))).toThrow(MalformedMessageError);
    expect(() => decodeEvent(without('ce-id'))).toThrow(/lacks CloudEvents attributes: ce-id/);
    expect(() => decodeEvent({ ...m, headers: { ...m.headers, 'ce-specversion': '0.3' } })).toThrow(/specversion/);
    expect(() => decodeEvent({ ...m, headers: { ...m.headers, 'content-type': 'text/plain' } })).toThrow(/not JSON/);
    expect(() => decodeEvent({ ...m, body: new TextEncoder().encode('{x') })).toThrow(/not valid UTF-8 JSON/);
  });

  it('maps headers to a binding prefix and back', () => {
    const h = { 'ce-id': '1', 'ce-type': 't', 'content-type': 'application/json', 'x-other': 'y' };
    const kafka = toBindingHeaders(h, { prefix: 'ce_', contentTypeKey: 'content-type' });
    expect(kafka).toEqual({ ce_id: '1', ce_type: 't', 'content-type': 'application/json', 'x-other': 'y' });
    expect(fromBindingHeaders(kafka, { prefix: 'ce_', contentTypeKey: 'content-type' })).toEqual(h);
    const amqp = toBindingHeaders(h, { prefix: 'cloudEvents_' });
    expect(
      fromBindingHeaders(
        { ...amqp, 'cloudEvents:source': 's' },
        { prefix: 'cloudEvents_', alternatePrefixes: ['cloudEvents:'] },
      ),
    ).toMatchObject({
      'ce-id': '1',
      'ce-source': 's',
    });
  });

  it('makes UUIDv7 ids that sort in creation order', () => {
    const ids = Array.from({ length: 1000 }, () => uuidv7());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });
});
