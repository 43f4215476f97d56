import { trace, type Context } from '@opentelemetry/api';

/**
 * `trace_id`, `span_id` and `trace_flags` of the span in `ctx`, the field names
 * OpenTelemetry's log correlation uses; empty when no valid span is there (no SDK).
 */
export function logTraceFields(ctx: Context): Record<string, string> {
  const span = trace.getSpanContext(ctx);
  if (!span || !trace.isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId, trace_flags: span.traceFlags.toString(16).padStart(2, '0') };
}
