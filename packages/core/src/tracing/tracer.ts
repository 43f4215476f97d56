import { ProxyTracerProvider, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';

export const INSTRUMENTATION_SCOPE = '@tandem/core';
const VERSION = '0.1.0';
/** What a proxy provider delegates to while no SDK is registered. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

let cached: { provider: TracerProvider; tracers: Map<string, Tracer> } | undefined;

/**
 * The tracer for `scope` (Tandem's core by default) from the registered SDK, or
 * undefined when none is registered: callers then skip span work entirely, so tracing
 * costs next to nothing until an SDK is installed. Looked up again when the global
 * provider changes, so an SDK registered after import is picked up.
 */
export function activeTracer(scope: string = INSTRUMENTATION_SCOPE): Tracer | undefined {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (provider === NOOP_PROVIDER) return undefined;
  if (cached?.provider !== provider) cached = { provider, tracers: new Map() };
  let tracer = cached.tracers.get(scope);
  if (!tracer) cached.tracers.set(scope, (tracer = provider.getTracer(scope, VERSION)));
  return tracer;
}

/** Like activeTracer, but always a tracer: the API's no-op one when no SDK is registered. */
export function tandemTracer(scope: string = INSTRUMENTATION_SCOPE): Tracer {
  return activeTracer(scope) ?? trace.getTracer(scope, VERSION);
}
