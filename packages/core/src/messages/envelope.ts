/**
 * CloudEvents 1.0 in binary content mode: the attributes travel as headers, the body is
 * the event data as JSON. Consumers also read structured mode (structured.ts), and a
 * transport set to write it turns these messages into it as it publishes (content-mode.ts). Tandem writes id (UUIDv7), source, type, specversion, time,
 * datacontenttype, subject (the key), dataschema (the contract version) and the
 * extensions partitionkey, correlationid, causationid, traceparent, tracestate.
 * correlationid is left out when it equals the id (an event that starts a conversation):
 * every reader takes a missing correlationid to be the id, so it would only repeat it.
 */
import type { EventContract } from '../contracts/contracts.js';
import { MalformedMessageError } from '../errors/errors.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import { Header } from './headers.js';
import { CLOUDEVENTS_JSON, CLOUDEVENTS_MEDIA_PREFIX, clip, isJsonContentType, mediaTypeOf } from './media-type.js';
import { decodeStructuredEvent } from './structured.js';
import { uuidv7 } from './uuid.js';

/** Source, key, correlation and extra headers of an encoded event. */
export interface EnvelopeOptions {
  /** The publishing service (CloudEvents `source`). */
  source: string;
  /** Partition key: events with one key are handled in order. */
  key?: string;
  id?: string;
  time?: Date;
  /** The conversation it belongs to; the id itself (and then not written) when not given. */
  correlationId?: string;
  causationId?: string;
  /** Extra headers (trace context among them) to carry along. */
  headers?: Record<string, string>;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

const dataschemas = new WeakMap<EventContract, string>();

/** The CloudEvents `dataschema` of a contract: urn:tandem:event:<name>:v<version>. */
export function dataschemaOf(contract: EventContract): string {
  let schema = dataschemas.get(contract);
  if (schema === undefined) {
    schema = `urn:tandem:event:${contract.name}:v${contract.version}`;
    dataschemas.set(contract, schema);
  }
  return schema;
}

let isoMs = 0;
let isoText = '';

/** The current time as RFC 3339 text, formatted once per millisecond (toISOString is costly). */
function nowIso(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/**
 * Encodes event data as a CloudEvents binary-mode message in Tandem's canonical headers.
 * Every publish runs this, so the headers are assigned in one fixed order (one object
 * shape), and the body is a Buffer from Node's pool rather than a TextEncoder copy.
 */
export function encodeEvent(contract: EventContract, data: unknown, options: EnvelopeOptions): OutgoingMessage {
  const id = options.id ?? uuidv7();
  const headers: Record<string, string> = options.headers ? { ...options.headers } : {};
  headers[Header.specversion] = '1.0';
  headers[Header.id] = id;
  headers[Header.source] = options.source;
  headers[Header.type] = contract.name;
  headers[Header.time] = options.time ? options.time.toISOString() : nowIso();
  headers[Header.contentType] = 'application/json';
  headers[Header.dataschema] = dataschemaOf(contract);
  if (options.correlationId !== undefined && options.correlationId !== id)
    headers[Header.correlationid] = options.correlationId;
  if (options.causationId !== undefined) headers[Header.causationid] = options.causationId;
  if (options.key !== undefined) {
    headers[Header.subject] = options.key;
    headers[Header.partitionkey] = options.key;
  }
  const json = JSON.stringify(data) as string | undefined;
  const body = json === undefined ? new Uint8Array(0) : Buffer.from(json);
  const message: OutgoingMessage = { topic: contract.topic, headers, body };
  if (options.key !== undefined) message.key = options.key;
  return message;
}

/** A decoded event: its CloudEvents attributes and JSON data. */
export interface DecodedEvent {
  id: string;
  type: string;
  source: string;
  time?: string;
  subject?: string;
  /** Undefined when the event did not say: it then starts its own conversation (the id). */
  correlationId?: string;
  causationId?: string;
  /** The contract version it was published at (`urn:tandem:event:<name>:v<n>`), when the producer said. */
  dataschema?: string;
  data: unknown;
}

/**
 * Reads a consumed message; throws MalformedMessageError (never retried) when it is not a
 * valid event. Binary mode carries JSON data of any JSON media type (`application/json`,
 * `text/json`, `*+json`, with parameters); a content type of `application/cloudevents+json`
 * is structured mode, the whole event in the body.
 */
export function decodeEvent(message: IncomingMessage): DecodedEvent {
  const h = message.headers;
  // What Tandem itself writes, in either mode, needs no parsing of the media type (a trim, a
  // lower-casing and a regex).
  const written = h[Header.contentType];
  if (written === CLOUDEVENTS_JSON) return decodeStructuredEvent(message);
  const contentType = written === 'application/json' ? undefined : written;
  if (contentType !== undefined && mediaTypeOf(contentType).startsWith(CLOUDEVENTS_MEDIA_PREFIX)) {
    if (mediaTypeOf(contentType) === CLOUDEVENTS_JSON) return decodeStructuredEvent(message);
    throw new MalformedMessageError(
      `message on '${message.origin.topic}': CloudEvents format '${clip(contentType)}' is not supported; send ${CLOUDEVENTS_JSON} (structured mode, one event per message) or binary mode`,
    );
  }
  if (!h[Header.id] || !h[Header.source] || !h[Header.type] || !h[Header.specversion]) {
    const missing = [Header.id, Header.source, Header.type, Header.specversion].filter((name) => !h[name]);
    throw new MalformedMessageError(
      `message on '${message.origin.topic}' lacks CloudEvents attributes: ${missing.join(', ')}`,
    );
  }
  const id = clip(h[Header.id]!);
  if (h[Header.specversion] !== '1.0') {
    throw new MalformedMessageError(
      `message ${id}: unsupported CloudEvents specversion '${clip(h[Header.specversion]!)}'; expected 1.0`,
    );
  }
  if (contentType !== undefined && !isJsonContentType(contentType)) {
    throw new MalformedMessageError(
      `message ${id}: content type '${clip(contentType)}' is not JSON; expected application/json, text/json or another */json or */*+json type`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(decoder.decode(message.body));
  } catch (cause) {
    throw new MalformedMessageError(`message ${id}: body is not valid UTF-8 JSON`, { cause });
  }
  // Assigned rather than spread: every consumed event runs this.
  const event: DecodedEvent = { id: h[Header.id]!, type: h[Header.type]!, source: h[Header.source]!, data };
  const time = h[Header.time];
  if (time !== undefined) event.time = time;
  const subject = h[Header.subject];
  if (subject !== undefined) event.subject = subject;
  const correlationId = h[Header.correlationid];
  if (correlationId !== undefined) event.correlationId = correlationId;
  const causationId = h[Header.causationid];
  if (causationId !== undefined) event.causationId = causationId;
  const dataschema = h[Header.dataschema];
  if (dataschema !== undefined) event.dataschema = dataschema;
  return event;
}
