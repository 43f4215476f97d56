import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { runtimeInstruments } from '../metrics/runtime-metrics.js';
import { traceSend } from './messaging-spans.js';
import { activeTracer } from './tracer.js';

afterEach(() => {
  trace.disable();
  metrics.disable();
});

describe('no SDK, no work', () => {
  it('has no active tracer and disabled instruments until an SDK is registered', () => {
    expect(activeTracer()).toBeUndefined();
    expect(runtimeInstruments().enabled).toBe(false);
    const message = { topic: 't', headers: {}, body: new Uint8Array() };
    traceSend(message, 'memory');
    expect(message.headers).toEqual({});
  });

  it('picks up an SDK registered after import', () => {
    trace.setGlobalTracerProvider(new TracerProvider());
    metrics.setGlobalMeterProvider(new MeterProvider());
    expect(activeTracer()).toBeDefined();
    expect(runtimeInstruments().enabled).toBe(true);
  });
});
