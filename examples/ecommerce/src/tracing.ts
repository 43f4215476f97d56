/**
 * Tracing for the shop run by `npm run shop`: an OpenTelemetry tracer provider whose only
 * processor is the console's span ring, so the console's Traces view shows each order's
 * trace across HTTP, the sync calls, the outbox and the broker without any collector.
 * A deployment adds its exporter (OTLP, Jaeger…) beside the ring as another span processor.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { SpanRing } from '@tandem/console';
import { ConfigError } from '@tandem/core';

/**
 * Registers the global context manager (spans follow async work), the W3C propagator (a
 * trace continues across HTTP calls and broker messages between processes) and the
 * provider, and returns the ring the console's trace routes read. Tandem reads the global
 * API at each run, so this is all an app needs to be traced.
 */
export function startTracing(serviceName: string): SpanRing {
  const ring = new SpanRing();
  const resource = resourceFromAttributes({ 'service.name': serviceName });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new TracerProvider({ resource, spanProcessors: [ring] }));
  return ring;
}

/** The process's name in traces: `shop`, or `shop-<services>` for a process that runs some of them. */
export function shopProcessName(env: Record<string, string | undefined>): string {
  const services = env.SHOP_SERVICES?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return services && services.length > 0 ? `shop-${services.join('+')}` : 'shop';
}

/** SHOP_TRACING=off runs the shop untraced (the console's Traces view then says so). */
export function tracingWanted(env: Record<string, string | undefined>): boolean {
  const value = env.SHOP_TRACING?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'on') return true;
  if (value === 'off') return false;
  throw new ConfigError(`SHOP_TRACING: '${env.SHOP_TRACING}' is neither on nor off`);
}
