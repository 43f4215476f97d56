// The HTTP command path of bench/tracing.mjs: one zod-validated command that publishes an
// event (in-process broker), served by Tandem. TANDEM_BENCH_OTEL picks what is registered:
//   off      no OpenTelemetry SDK: the API's no-op tracer and meter
//   tracing  the trace SDK as NodeSDK sets it up: W3C propagator, AsyncLocalStorage context
//            manager, BatchSpanProcessor to an exporter that discards (Tandem's spans, not an
//            export, are measured)
//   explicit the same without a context manager: Tandem hands trace context along itself
//            (server span -> handler -> publish/call), so AsyncLocalStorage stays off
//   full     tracing plus the metrics SDK with a reader that is never collected
// TANDEM_BENCH_PROCESSOR (batch by default) takes 'simple' (export each span as it ends) or
// 'none' (spans recorded, never exported), and TANDEM_BENCH_SAMPLER=off samples nothing,
// TANDEM_BENCH_SAMPLER=ratio samples 10% of traces (ParentBased(TraceIdRatio 0.1)):
// knobs to tell the cost of making spans from the cost of handing them to an exporter.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { createApp, createLogger, defineCommand, defineEvent, service } from '@tandem/core';
import { httpServer } from '@tandem/transport-http';
import { z } from 'zod';
import { PlaceOrder, total } from './http-overhead/payload.mjs';
import { reportCpuOnSignal } from './lib/server-process.mjs';

reportCpuOnSignal();
const mode = process.env.TANDEM_BENCH_OTEL ?? 'off';

if (mode === 'tracing' || mode === 'explicit' || mode === 'full') {
  const discard = {
    export(_spans, done) {
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: async () => undefined,
  };
  if (mode !== 'explicit') context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const processor =
    process.env.TANDEM_BENCH_PROCESSOR === 'simple'
      ? new SimpleSpanProcessor({ exporter: discard })
      : new BatchSpanProcessor({ exporter: discard });
  trace.setGlobalTracerProvider(
    new TracerProvider({
      spanProcessors: process.env.TANDEM_BENCH_PROCESSOR === 'none' ? [] : [processor],
      ...(process.env.TANDEM_BENCH_SAMPLER === 'off' ? { sampler: new AlwaysOffSampler() } : {}),
      ...(process.env.TANDEM_BENCH_SAMPLER === 'ratio'
        ? { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }) }
        : {}),
    }),
  );
}
if (mode === 'full') {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.DELTA),
    exportIntervalMillis: 60_000,
  });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
}

const placeOrder = defineCommand('orders.place', {
  input: PlaceOrder,
  output: z.object({ accepted: z.boolean(), total: z.number() }),
});
const orderPlaced = defineEvent('orders.placed', { data: z.object({ customerId: z.string(), total: z.number() }) });

const orders = service('orders').command(placeOrder, async (order, ctx) => {
  const sum = total(order);
  await ctx.publish(orderPlaced, { customerId: order.customerId, total: sum });
  return { accepted: true, total: sum };
});

const logger = createLogger({ level: 'warn' });
const http = httpServer({ port: 0, host: '127.0.0.1', logger });
const app = createApp({ services: [orders], http, logger });

await app.start();
console.log(`listening ${http.url}`);
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
