import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Header } from '../messages/headers.js';
import { extractTraceContext, injectTraceContext } from './propagation.js';

const spanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
};

afterEach(() => propagation.disable());

describe('trace context in message headers', () => {
  it('writes W3C trace context under the CloudEvents extension names and reads it back', () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const headers: Record<string, string> = {};
    injectTraceContext(headers, trace.setSpanContext(ROOT_CONTEXT, spanContext));
    expect(headers).toEqual({ [Header.traceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(trace.getSpanContext(extractTraceContext(headers))).toMatchObject({ ...spanContext, isRemote: true });
  });

  it('keeps tracestate too', () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const headers = {
      [Header.traceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      [Header.tracestate]: 'vendor=abc',
    };
    const out: Record<string, string> = {};
    injectTraceContext(out, extractTraceContext(headers));
    expect(out).toEqual(headers);
  });

  it('does nothing without a registered propagator (no SDK)', () => {
    const headers: Record<string, string> = {};
    injectTraceContext(headers, trace.setSpanContext(context.active(), spanContext));
    expect(headers).toEqual({});
  });
});
