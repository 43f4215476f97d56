import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { SpanRing, type SpanRingOptions } from './span-ring.js';

function tracerWith(options: SpanRingOptions): { ring: SpanRing; tracer: Tracer } {
  const ring = new SpanRing(options);
  const provider = new TracerProvider({ spanProcessors: [ring] });
  return { ring, tracer: provider.getTracer('test') };
}

describe('SpanRing', () => {
  it('keeps the last maxSpans spans, indexed by trace id', () => {
    const { ring, tracer } = tracerWith({ maxSpans: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      const span = tracer.startSpan(`op ${i}`);
      ids.push(span.spanContext().traceId);
      span.end();
    }
    expect(ring.size.spans).toBe(100);
    expect(ring.trace(ids[0]!)).toBeUndefined();
    expect(ring.trace(ids[999]!)!.map((s) => s.name)).toEqual(['op 999']);
    expect(ring.traces(1_000)).toHaveLength(100);
  });

  it('keeps under maxBytes, and cuts long attribute values', () => {
    const { ring, tracer } = tracerWith({ maxSpans: 100_000, maxBytes: 64 * 1024, maxAttributeLength: 100 });
    for (let i = 0; i < 5_000; i++) tracer.startSpan('op', { attributes: { big: 'x'.repeat(10_000) } }).end();
    expect(ring.size.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(ring.size.spans).toBeGreaterThan(10);
    const [latest] = ring.traces(1);
    const value = ring.trace(latest!.traceId)![0]!.attributes.big as string;
    expect(value.length).toBeLessThanOrEqual(101);
  });

  it('drops secret attributes and redacts credentials in URLs', () => {
    const { ring, tracer } = tracerWith({});
    const span = tracer.startSpan('GET /orders', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.header.authorization': 'Bearer abc',
        'http.request.header.cookie': 'sid=1',
        'url.full': 'https://alice:hunter2@shop.example/orders?token=t0ps3cret',
        'db.connection_string': 'postgres://app:pw@db:5432/shop',
        'http.response.status_code': 500,
      },
    });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'amqp://guest:guest@mq failed' });
    span.end();
    const [record] = ring.trace(span.spanContext().traceId)!;
    const text = JSON.stringify(record);
    for (const secret of ['abc', 'sid=1', 'hunter2', 't0ps3cret', 'app:pw', 'guest:guest'])
      expect(text).not.toContain(secret);
    expect(record!.attributes['url.full']).toBe('https://***@shop.example/orders?token=***');
    expect(record).toMatchObject({ kind: 'server', error: true });
  });

  it('hides the user-info of a URL that the cut of a long value leaves unfinished', () => {
    const { ring, tracer } = tracerWith({ maxAttributeLength: 64 });
    const span = tracer.startSpan('call', { attributes: { 'url.full': `https://alice:${'p'.repeat(500)}@host/` } });
    span.end();
    const [record] = ring.trace(span.spanContext().traceId)!;
    expect(record!.attributes['url.full']).toBe('https://***…');
  });

  it('summarises a trace by its root span', () => {
    const { ring, tracer } = tracerWith({});
    const root = tracer.startSpan('POST /orders');
    const ctx = { traceId: root.spanContext().traceId };
    const child = tracer.startSpan('send orders.placed', {}, trace.setSpan(context.active(), root));
    child.end();
    root.end();
    expect(ring.traces()).toEqual([expect.objectContaining({ traceId: ctx.traceId, name: 'POST /orders', spans: 2 })]);
  });
});
