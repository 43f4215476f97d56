import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api';

export const INSTRUMENTATION_SCOPE = '@tandem/core';
const VERSION = '0.1.0';

let cached: { provider: TracerProvider; tracers: Map<string, Tracer> } | undefined;

/**
 * A tracer from the global provider, for `scope` (Tandem's core by default). Without a
 * registered SDK it is the API's no-op tracer, so spans cost one small allocation each.
 * Looked up again when the global provider changes, so an SDK registered after import
 * is picked up.
 */
export function tandemTracer(scope: string = INSTRUMENTATION_SCOPE): Tracer {
  const provider = trace.getTracerProvider();
  if (cached?.provider !== provider) cached = { provider, tracers: new Map() };
  let tracer = cached.tracers.get(scope);
  if (!tracer) cached.tracers.set(scope, (tracer = provider.getTracer(scope, VERSION)));
  return tracer;
}
