import {
  context,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { Header } from '../messages/headers.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import { extractTraceContext, injectTraceContext } from './propagation.js';
import { recordSpanError } from './span-errors.js';
import { activeTracer } from './tracer.js';

/** Attribute names from the OpenTelemetry messaging semantic conventions. */
export const MessagingAttribute = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  consumerGroup: 'messaging.consumer.group.name',
  partition: 'messaging.destination.partition.id',
  deliveryAttempt: 'tandem.delivery.attempt',
} as const;

function messageAttributes(message: OutgoingMessage, system: string, operation: 'send' | 'process'): Attributes {
  const attributes: Attributes = {
    [MessagingAttribute.system]: system,
    [MessagingAttribute.destination]: message.topic,
    [MessagingAttribute.operationType]: operation,
    [MessagingAttribute.operationName]: operation,
  };
  const id = message.headers[Header.id];
  if (id !== undefined) attributes[MessagingAttribute.messageId] = id;
  // An event without correlationid starts its own conversation (see encodeEvent).
  const correlation = message.headers[Header.correlationid] ?? id;
  if (correlation !== undefined) attributes[MessagingAttribute.conversationId] = correlation;
  return attributes;
}

/**
 * Records the PRODUCER `send <topic>` span of a message published inside `parent`, and
 * writes that span's context into the message headers. The headers travel with the
 * message, through the outbox too, so the consumer's span joins the same trace.
 */
export function traceSend(message: OutgoingMessage, system: string, parent: Context = context.active()): void {
  const tracer = activeTracer();
  if (!tracer) return;
  const span = tracer.startSpan(
    `send ${message.topic}`,
    { kind: SpanKind.PRODUCER, attributes: messageAttributes(message, system, 'send') },
    parent,
  );
  injectTraceContext(message.headers, trace.setSpan(parent, span));
  span.end();
}

/** The span of one message processed by a consumer. */
export interface ProcessSpan {
  readonly span: Span;
  /** The context to run the handler in: the span is active there. */
  readonly context: Context;
}

/** Starts the CONSUMER `process <topic>` span of a delivery, child of (and linked to) the producer's span. */
const NO_PROCESS_SPAN: ProcessSpan = { span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT), context: ROOT_CONTEXT };

/** Starts the process span of a consumed message, continuing the producer's trace; for transports of your own. */
export function startProcessSpan(message: IncomingMessage, system: string, group: string): ProcessSpan {
  const tracer = activeTracer();
  if (!tracer) return NO_PROCESS_SPAN;
  const parent = extractTraceContext(message.headers);
  const producer = trace.getSpanContext(parent);
  const attributes = messageAttributes(message, system, 'process');
  // A structured-mode event has its id in the body, which is parsed later; the transport's id is the same.
  attributes[MessagingAttribute.messageId] ??= message.id;
  attributes[MessagingAttribute.consumerGroup] = group;
  attributes[MessagingAttribute.deliveryAttempt] = message.attempt;
  if (message.origin.partition !== undefined)
    attributes[MessagingAttribute.partition] = String(message.origin.partition);
  const span = tracer.startSpan(
    `process ${message.origin.topic}`,
    { kind: SpanKind.CONSUMER, attributes, ...(producer ? { links: [{ context: producer }] } : {}) },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends a process span with the delivery's outcome. */
export function endProcessSpan(span: Span, outcome: 'ack' | 'retry' | 'dead-letter', error?: unknown): void {
  if (span.isRecording()) {
    span.setAttribute('tandem.disposition', outcome);
    if (error !== undefined) recordSpanError(span, error);
  }
  span.end();
}
