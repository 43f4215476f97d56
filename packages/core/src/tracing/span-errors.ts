import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { isTandemError } from '../errors/errors.js';

/** `error.type`: a Tandem error's stable code, else the error's class name. */
export function errorType(error: unknown): string {
  if (isTandemError(error)) return error.code;
  if (error instanceof Error) return error.name;
  return '_OTHER';
}

/** Marks a span failed by `error`, as the semantic conventions ask: status, `error.type`, exception event. */
export function recordSpanError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.setAttribute('error.type', errorType(error));
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
