import { trace, type Span } from '@opentelemetry/api';
import { eventTypeOf } from '../messages/structured.js';
import type { HandlerRegistration } from '../runtime/service.js';
import type { Disposition, IncomingMessage } from '../transport/broker.js';
import { errorName, type ActivitySink, type RunOutcome } from './activity.js';

/**
 * A consumer group's reports to the app's activity: its handler runs with their
 * disposition, its retries and its dead letters. Each method is called only while
 * `sink.listening`; the consumer checks before it measures anything.
 */
export class ConsumerActivity {
  constructor(
    readonly sink: ActivitySink,
    private readonly group: string,
  ) {}

  run(
    reg: HandlerRegistration,
    message: IncomingMessage,
    span: Span,
    startedAt: number,
    outcome: RunOutcome,
    error?: unknown,
  ): void {
    const traceId = traceIdOfSpan(span);
    this.sink.emit({
      kind: 'handler',
      at: Date.now(),
      service: reg.service,
      handler: reg.contract.name,
      handlerKind: 'event',
      group: this.group,
      type: reg.contract.name,
      outcome,
      durationMs: performance.now() - startedAt,
      ...(error !== undefined ? { error: errorName(error) } : {}),
      ...(traceId !== undefined ? { traceId } : {}),
    });
  }

  retry(message: IncomingMessage, span: Span, attempt: number, retry: 'immediate' | 'delayed', delayMs: number): void {
    const traceId = traceIdOfSpan(span);
    this.sink.emit({
      kind: 'retry',
      at: Date.now(),
      group: this.group,
      id: message.id,
      type: eventTypeOf(message) ?? message.origin.topic,
      attempt,
      retry,
      delayMs,
      ...(traceId !== undefined ? { traceId } : {}),
    });
  }

  deadLettered(message: IncomingMessage, span: Span, disposition: Disposition & { kind: 'dead-letter' }): void {
    const traceId = traceIdOfSpan(span);
    const type = eventTypeOf(message);
    this.sink.emit({
      kind: 'dead-letter',
      at: Date.now(),
      group: this.group,
      id: message.id,
      ...(type !== undefined ? { type } : {}),
      reason: disposition.reason,
      ...(traceId !== undefined ? { traceId } : {}),
    });
  }
}

function traceIdOfSpan(span: Span): string | undefined {
  const context = span.spanContext();
  return trace.isSpanContextValid(context) ? context.traceId : undefined;
}
