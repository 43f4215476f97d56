import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { Header } from '../messages/headers.js';

/*
 * Message headers keep the W3C trace context under the CloudEvents extension names
 * (`ce-traceparent`, `ce-tracestate`), which each broker binding then renames
 * (Kafka `ce_traceparent`, AMQP `cloudEvents_traceparent`). The propagator speaks of
 * `traceparent`; these accessors translate, so any registered propagator works.
 */
const toHeader: Record<string, string> = { traceparent: Header.traceparent, tracestate: Header.tracestate };
const fromHeader: Record<string, string> = { [Header.traceparent]: 'traceparent', [Header.tracestate]: 'tracestate' };

const messageSetter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[toHeader[key] ?? key] = value;
  },
};

const messageGetter: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (carrier) => Object.keys(carrier).map((k) => fromHeader[k] ?? k),
  get: (carrier, key) => carrier[toHeader[key] ?? key],
};

/** Writes the trace context of `ctx` (the active one by default) into message headers. */
export function injectTraceContext(headers: Record<string, string>, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers, messageSetter);
}

/** The context a consumed message carries, as the parent of its `process` span. */
export function extractTraceContext(headers: Readonly<Record<string, string>>, base: Context = ROOT_CONTEXT): Context {
  return propagation.extract(base, headers, messageGetter);
}
