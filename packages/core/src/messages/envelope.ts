/**
 * CloudEvents 1.0 in binary content mode: the attributes travel as headers, the body is
 * the event data as JSON. Tandem writes id (UUIDv7), source, type, specversion, time,
 * datacontenttype, subject (the key), dataschema (the contract version) and the
 * extensions partitionkey, correlationid, causationid, traceparent, tracestate.
 */
import type { EventContract } from '../contracts/contracts.js';
import { MalformedMessageError } from '../errors/errors.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import { Header } from './headers.js';
import { uuidv7 } from './uuid.js';

/** Source, key, correlation and extra headers of an encoded event. */
export interface EnvelopeOptions {
  /** The publishing service (CloudEvents `source`). */
  source: string;
  /** Partition key: events with one key are handled in order. */
  key?: string;
  id?: string;
  time?: Date;
  correlationId?: string;
  causationId?: string;
  /** Extra headers (trace context among them) to carry along. */
  headers?: Record<string, string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The CloudEvents `dataschema` of a contract: urn:tandem:event:<name>:v<version>. */
export function dataschemaOf(contract: EventContract): string {
  return `urn:tandem:event:${contract.name}:v${contract.version}`;
}

/** Encodes event data as a CloudEvents binary-mode message in Tandem's canonical headers. */
export function encodeEvent(contract: EventContract, data: unknown, options: EnvelopeOptions): OutgoingMessage {
  const id = options.id ?? uuidv7();
  const headers: Record<string, string> = {
    ...options.headers,
    [Header.specversion]: '1.0',
    [Header.id]: id,
    [Header.source]: options.source,
    [Header.type]: contract.name,
    [Header.time]: (options.time ?? new Date()).toISOString(),
    [Header.contentType]: 'application/json',
    [Header.dataschema]: dataschemaOf(contract),
    [Header.correlationid]: options.correlationId ?? id,
  };
  if (options.causationId !== undefined) headers[Header.causationid] = options.causationId;
  if (options.key !== undefined) {
    headers[Header.subject] = options.key;
    headers[Header.partitionkey] = options.key;
  }
  return {
    topic: contract.topic,
    ...(options.key !== undefined ? { key: options.key } : {}),
    headers,
    body: encoder.encode(JSON.stringify(data)),
  };
}

/** A decoded event: its CloudEvents attributes and JSON data. */
export interface DecodedEvent {
  id: string;
  type: string;
  source: string;
  time?: string;
  subject?: string;
  correlationId?: string;
  causationId?: string;
  data: unknown;
}

/** Reads a consumed message; throws MalformedMessageError (never retried) when it is not a valid event. */
export function decodeEvent(message: IncomingMessage): DecodedEvent {
  const h = message.headers;
  const missing = [Header.id, Header.source, Header.type, Header.specversion].filter((name) => !h[name]);
  if (missing.length > 0) {
    throw new MalformedMessageError(
      `message on '${message.origin.topic}' lacks CloudEvents attributes: ${missing.join(', ')}`,
    );
  }
  if (h[Header.specversion] !== '1.0') {
    throw new MalformedMessageError(
      `message ${h[Header.id]}: unsupported CloudEvents specversion '${h[Header.specversion]}'; expected 1.0`,
    );
  }
  const contentType = h[Header.contentType];
  if (contentType !== undefined && !/^application\/([\w.+-]*\+)?json\b/i.test(contentType)) {
    throw new MalformedMessageError(`message ${h[Header.id]}: content type '${contentType}' is not JSON`);
  }
  let data: unknown;
  try {
    data = JSON.parse(decoder.decode(message.body));
  } catch (cause) {
    throw new MalformedMessageError(`message ${h[Header.id]}: body is not valid UTF-8 JSON`, { cause });
  }
  return {
    id: h[Header.id]!,
    type: h[Header.type]!,
    source: h[Header.source]!,
    ...(h[Header.time] !== undefined ? { time: h[Header.time] } : {}),
    ...(h[Header.subject] !== undefined ? { subject: h[Header.subject] } : {}),
    ...(h[Header.correlationid] !== undefined ? { correlationId: h[Header.correlationid] } : {}),
    ...(h[Header.causationid] !== undefined ? { causationId: h[Header.causationid] } : {}),
    data,
  };
}
