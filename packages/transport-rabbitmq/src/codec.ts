/**
 * Tandem messages to AMQP and back, in the CloudEvents AMQP binding's binary mode:
 * every `ce-<attr>` header becomes the application property `cloudEvents_<attr>`
 * (`cloudEvents:<attr>` is read too), `content-type` becomes the AMQP content-type
 * property, other headers (custom ones) pass through unchanged.
 * The message key travels as the CloudEvents partitioning extension
 * (`cloudEvents_partitionkey`), which is what it means; when both are set, the key wins.
 * In structured mode (`contentMode: 'structured'`) published events are first turned into
 * one `application/cloudevents+json` body (core's toStructuredMessage); the key and the
 * W3C `traceparent`/`tracestate` stay application properties, read before the body is.
 */
import {
  Header,
  toStructuredMessage,
  uuidv7,
  type ContentMode,
  type IncomingMessage,
  type OutgoingMessage,
} from '@tandem/core';
import type { Message, Options } from 'amqplib';

const CE_PREFIX = 'ce-';

/** The CloudEvents AMQP binding's application-property prefix Tandem writes, and the alternative it also reads. */
export const AMQP_BINDING: { readonly prefix: string; readonly alternatePrefixes: string[] } = {
  prefix: 'cloudEvents_',
  alternatePrefixes: ['cloudEvents:'],
};

export interface AmqpPublish {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * The AMQP form of a message. `exchange`/`routingKey` say where it goes: the events
 * exchange with the topic, or the default exchange with a queue name.
 */
export function encodeMessage(
  message: OutgoingMessage,
  exchange: string,
  routingKey: string,
  mandatory: boolean,
  /** The AMQP message id when the message has no `ce-id` (a malformed message being dead-lettered). */
  fallbackId?: string,
): AmqpPublish {
  // One pass instead of core's toBindingHeaders plus a rest spread: this runs for every
  // message published, and the generic version cost several microseconds each.
  const headers: Record<string, string> = {};
  let contentType: string | undefined;
  const source = message.headers;
  for (const name in source) {
    const value = source[name]!;
    if (name.startsWith(CE_PREFIX)) headers[AMQP_BINDING.prefix + name.slice(CE_PREFIX.length)] = value;
    else if (name === Header.contentType) contentType = value;
    else headers[name] = value;
  }
  if (message.key !== undefined) headers[`${AMQP_BINDING.prefix}partitionkey`] = message.key;
  const id = source[Header.id] || fallbackId;
  const options: Options.Publish = { persistent: true, headers, mandatory };
  if (id !== undefined) options.messageId = id;
  if (contentType !== undefined) options.contentType = contentType;
  return { exchange, routingKey, content: asBuffer(message.body), options };
}

/**
 * The AMQP form of an event published to the events exchange, in the transport's content
 * mode. In structured mode `ce-id` is in the body only, so the AMQP message id carries it:
 * consumers take a delivery's id from there before they parse anything (run ledger, inbox).
 */
export function encodePublish(
  message: OutgoingMessage,
  exchange: string,
  mandatory: boolean,
  contentMode: ContentMode,
): AmqpPublish {
  if (contentMode === 'binary') return encodeMessage(message, exchange, message.topic, mandatory);
  return encodeMessage(toStructuredMessage(message), exchange, message.topic, mandatory, message.headers[Header.id]);
}

/**
 * What RabbitMQ adds on delivery: the x-death bookkeeping when a delay queue hands a
 * message back, and a quorum queue's `x-delivery-count`. Copied into a retry or a dead
 * letter, a stale count would read as the broker's count of the new copy.
 */
function isBrokerBookkeeping(name: string): boolean {
  return (
    name === 'x-death' ||
    name === 'x-delivery-count' ||
    name.startsWith('x-first-death-') ||
    name.startsWith('x-last-death-')
  );
}

/** Past this many seconds (the year 5138) an AMQP timestamp can only be milliseconds, as some clients write them. */
const LATEST_SECONDS = 1e11;

/**
 * An AMQP timestamp as RFC 3339 text, the CloudEvents form of a Timestamp. The AMQP binding
 * maps `time` to an application property of type timestamp (it defines no mapping to the
 * message's `timestamp` property, so that one is not read as the event's time). amqplib
 * decodes a field-table timestamp as `{ '!': 'timestamp', value }` in seconds, as AMQP 0-9-1
 * defines it; other clients hand over a Date. Undefined when it is no valid time.
 */
function timestampText(value: unknown): string | undefined {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (
    typeof value === 'object' &&
    value !== null &&
    (value as { '!'?: unknown })['!'] === 'timestamp' &&
    typeof (value as { value?: unknown }).value === 'number'
  ) {
    const seconds = (value as { value: number }).value;
    ms = seconds > LATEST_SECONDS ? seconds : seconds * 1000;
  } else return undefined;
  const time = new Date(ms);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/**
 * Every header of a received message in Tandem's form (`ce-*`, `content-type`).
 * Values that are not text (numbers, booleans) are written as text, timestamps as RFC 3339
 * text; tables and arrays, which no Tandem header uses, are left out.
 */
export function decodeHeaders(message: Message): Record<string, string> {
  // One pass instead of core's fromBindingHeaders over a copy: it runs for every delivery.
  const headers: Record<string, string> = {};
  const table = message.properties.headers;
  if (table) {
    for (const name in table) {
      const value: unknown = table[name];
      let text: string;
      if (typeof value === 'string') text = value;
      else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
        text = String(value);
      else if (Buffer.isBuffer(value)) text = value.toString('utf8');
      else {
        const time = timestampText(value);
        if (time === undefined) continue;
        text = time;
      }
      const local = localName(name);
      if (local === undefined) continue;
      // A CloudEvents trace attribute wins over the W3C header naming the same context, as on Kafka.
      if (name === W3C_TRACEPARENT || name === W3C_TRACESTATE) headers[local] ??= text;
      else headers[local] = text;
    }
  }
  const contentType: unknown = message.properties.contentType;
  if (typeof contentType === 'string') headers[Header.contentType] = contentType;
  return headers;
}

const BINDING_PREFIX_LENGTH = 12;

/**
 * W3C trace context as OpenTelemetry's AMQP instrumentations (and Tandem in structured mode)
 * write it; read as the CloudEvents tracing extension, where the runtime looks for it.
 */
const W3C_TRACEPARENT = 'traceparent';
const W3C_TRACESTATE = 'tracestate';

/**
 * Header names seen before, with their Tandem form (undefined for broker bookkeeping, which
 * is dropped). A producer writes the same dozen names on every message: translating each
 * once spares three string copies per header per delivery. Bounded, so a producer that
 * writes a new name on every message cannot grow it without end.
 */
const localNames = new Map<string, string | undefined>();
const LOCAL_NAMES_MAX = 512;

function localName(name: string): string | undefined {
  const known = localNames.get(name);
  if (known !== undefined || localNames.has(name)) return known;
  // Both binding prefixes ('cloudEvents_' and 'cloudEvents:') are 12 characters long and
  // matched case-insensitively, as the binding allows.
  const local = isBindingName(name)
    ? CE_PREFIX + name.slice(BINDING_PREFIX_LENGTH).toLowerCase()
    : name === W3C_TRACEPARENT
      ? Header.traceparent
      : name === W3C_TRACESTATE
        ? Header.tracestate
        : isBrokerBookkeeping(name)
          ? undefined
          : name;
  if (localNames.size < LOCAL_NAMES_MAX) localNames.set(name, local);
  return local;
}

function isBindingName(name: string): boolean {
  if (name.length <= BINDING_PREFIX_LENGTH) return false;
  const separator = name.charCodeAt(BINDING_PREFIX_LENGTH - 1);
  if (separator !== 95 /* _ */ && separator !== 58 /* : */) return false;
  return name.slice(0, BINDING_PREFIX_LENGTH - 1).toLowerCase() === 'cloudevents';
}

function attemptOf(value: string | undefined): number {
  const attempt = Number(value);
  return Number.isInteger(attempt) && attempt >= 1 ? attempt : 1;
}

/**
 * A delivery as the runtime sees it. The topic is the routing key when the message came
 * through the events exchange; after a retry or replay (through the default exchange)
 * it is the one recorded in `tandem-origin-topic`. Only then is `tandem-attempt` read: on
 * a message from any other exchange it was written by a producer, and trusting it would
 * let the producer skip the message's retries, so such a message is a first attempt.
 */
export function decodeDelivery(message: Message, eventsExchange: string, queue: string): IncomingMessage {
  const headers = decodeHeaders(message);
  const fields = message.fields;
  const viaExchange = fields.exchange === eventsExchange;
  const topic = viaExchange ? fields.routingKey : (headers[Header.originTopic] ?? fields.routingKey);
  // Retries (from the delay queues) and replays come through the default exchange.
  const viaRetryPath = fields.exchange === '';
  const attempt = viaRetryPath ? attemptOf(headers[Header.attempt]) : 1;
  // Only present on messages that came the retry path (or from a producer that set them).
  if (headers[Header.originTopic] !== undefined) delete headers[Header.originTopic];
  if (headers[Header.group] !== undefined) delete headers[Header.group];
  if (!viaRetryPath && headers[Header.attempt] !== undefined) delete headers[Header.attempt];
  const messageId: unknown = message.properties.messageId;
  // Assigned in one fixed order, so every delivery has one shape (no spread of a temporary).
  const incoming: IncomingMessage = {
    topic,
    headers,
    body: message.content,
    // A message without ce-id (not from Tandem) still needs an id to be dead-lettered and replayed.
    id: headers[Header.id] || (typeof messageId === 'string' && messageId !== '' ? messageId : uuidv7()),
    attempt,
    // Never delivered before, so no earlier run can have ended badly; a redelivery's count
    // comes from the run ledger (run-ledger.ts).
    deliveryCount: fields.redelivered ? undefined : 1,
    receivedAt: Date.now(),
    origin: { topic, queue },
  };
  const key = headers[Header.partitionkey];
  if (key !== undefined) incoming.key = key;
  return incoming;
}
