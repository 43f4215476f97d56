/**
 * What an app does, as small plain records, for whoever listens (the console's live views,
 * a test, a user's own tap). The runtime emits a record only while someone listens: each
 * call site first reads `listening`, so an app nobody watches pays one property read.
 */
import { trace, type Context } from '@opentelemetry/api';
import type { Logger } from '../log/logger.js';
import type { HandlerKind } from '../runtime/service.js';
import { Header } from '../messages/headers.js';
import type { OutgoingMessage } from '../transport/broker.js';

/** How a handler run ended: answered, failed, handed back for a retry, or dead-lettered. */
export type RunOutcome = 'ok' | 'error' | 'retry' | 'dead-letter';

/** A command, query or event handler run finished. */
export interface HandlerRunActivity {
  kind: 'handler';
  /** Epoch ms when the run ended. */
  at: number;
  service: string;
  /** The contract the handler serves (a command, query or event name). */
  handler: string;
  handlerKind: HandlerKind;
  /** The consumer group, for event handlers. */
  group?: string;
  /** The event type, for event handlers. */
  type?: string;
  outcome: RunOutcome;
  durationMs: number;
  /** The error's `code` (TandemError) or class name, when the outcome is not `ok`. */
  error?: string;
  traceId?: string;
}

/** A handler (or `app.publish`) published an event; it leaves with its run's unit of work. */
export interface PublishedActivity {
  kind: 'published';
  at: number;
  /** The service that published it (the CloudEvents `source`). */
  service: string;
  type: string;
  id: string;
  traceId?: string;
}

/** A failed event delivery will be tried again. */
export interface RetryActivity {
  kind: 'retry';
  at: number;
  group: string;
  id: string;
  type: string;
  /** The attempt that failed. */
  attempt: number;
  /** `immediate` retries run at once in process; `delayed` ones go back to the broker. */
  retry: 'immediate' | 'delayed';
  delayMs: number;
  traceId?: string;
}

/** A delivery went to its group's dead-letter destination. */
export interface DeadLetteredActivity {
  kind: 'dead-letter';
  at: number;
  group: string;
  id: string;
  /** The event type, when the message could be read. */
  type?: string;
  reason: string;
  traceId?: string;
}

/** A circuit breaker of a call transport changed state. */
export interface BreakerActivity {
  kind: 'breaker';
  at: number;
  /** The downstream service the circuit guards. */
  target: string;
  from: 'closed' | 'open' | 'half-open';
  to: 'closed' | 'open' | 'half-open';
}

/** One thing an app did; `kind` tells which. */
export type Activity = HandlerRunActivity | PublishedActivity | RetryActivity | DeadLetteredActivity | BreakerActivity;

/** Listens to an app's activity; called synchronously, on the runtime's own path. */
export type ActivityListener = (activity: Activity) => void;

/** Where an app's activity can be watched: `app.activity`. */
export interface ActivitySource {
  /**
   * Calls `listener` with each record from now on, synchronously: a listener that needs
   * time must buffer. A listener that throws is removed (and logged), never the runtime's
   * problem. Returns the function that unsubscribes.
   */
  subscribe(listener: ActivityListener): () => void;
}

/** What an emitter sees: whether to build a record at all, and where to put it. */
export interface ActivitySink {
  readonly listening: boolean;
  emit(activity: Activity): void;
}

/** The trace id of a context's span, when a tracing SDK records one. */
export function traceIdOf(ctx: Context | undefined): string | undefined {
  const span = ctx ? trace.getSpanContext(ctx) : undefined;
  return span && trace.isSpanContextValid(span) ? span.traceId : undefined;
}

/** Reports an event handed to the broker or the outbox; `service` is its CloudEvents source. */
export function reportPublished(sink: ActivitySink, message: OutgoingMessage, service: string, ctx: Context): void {
  const traceId = traceIdOf(ctx);
  sink.emit({
    kind: 'published',
    at: Date.now(),
    service,
    type: message.headers[Header.type] ?? message.topic,
    id: message.headers[Header.id] ?? '',
    ...(traceId !== undefined ? { traceId } : {}),
  });
}

/** The short name of an error for a record: its `code`, else its class name. */
export function errorName(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : typeof error;
}

/** An app's activity: a source for listeners and a sink for the runtime. */
export class ActivityHub implements ActivitySource, ActivitySink {
  private listeners: ActivityListener[] = [];
  /** Kept as a field, not computed: every emitter reads it. */
  listening = false;

  constructor(private readonly log?: Logger) {}

  subscribe(listener: ActivityListener): () => void {
    // Copy on write: a listener that unsubscribes (or subscribes another) while a record is
    // delivered does not disturb that delivery.
    this.listeners = [...this.listeners, listener];
    this.listening = true;
    return () => this.remove(listener);
  }

  emit(activity: Activity): void {
    for (const listener of this.listeners) {
      try {
        listener(activity);
      } catch (error) {
        this.remove(listener);
        this.log?.error({ err: error }, 'an activity listener threw; it is unsubscribed');
      }
    }
  }

  private remove(listener: ActivityListener): void {
    this.listeners = this.listeners.filter((l) => l !== listener);
    this.listening = this.listeners.length > 0;
  }
}

/** A sink nobody listens to, for code run outside an app. */
export const SILENT_ACTIVITY: ActivitySink = { listening: false, emit: () => undefined };
