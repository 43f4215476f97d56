/**
 * How a transport writes an event on the wire. `binary` (the default): every CloudEvents
 * attribute is a broker header and the body is the event data. `structured`: the whole event,
 * attributes and data, is one JSON object in the body (`application/cloudevents+json`), and
 * only what the transport itself needs stays a header. Every Tandem consumer reads both, so
 * producers of either mode can share a topic or queue.
 *
 * Tandem builds its events in binary form (encodeEvent); the outbox stores them so, and a
 * transport set to `structured` turns each one into the structured form as it publishes.
 */
import { ConfigError } from '../errors/errors.js';
import type { OutgoingMessage } from '../transport/broker.js';
import { CE_PREFIX, Header } from './headers.js';
import { CLOUDEVENTS_JSON, isJsonContentType } from './media-type.js';

/** `binary`: one header per attribute. `structured`: the event as one JSON object in the body. */
export type ContentMode = 'binary' | 'structured';

/** A content mode from an option or a URL parameter; ConfigError names the setting when it is neither mode. */
export function contentModeOf(setting: string, value: unknown): ContentMode {
  if (value === undefined) return 'binary';
  if (value === 'binary' || value === 'structured') return value;
  throw new ConfigError(`${setting}: expected 'binary' or 'structured', got '${String(value)}'`);
}

/**
 * The attributes Tandem writes, in the order they are written into the JSON object. Others
 * a producer set (extensions) follow them; trace context is not among them (see below).
 */
const ATTRIBUTES: ReadonlyArray<readonly [header: string, attribute: string]> = [
  [Header.specversion, 'specversion'],
  [Header.id, 'id'],
  [Header.source, 'source'],
  [Header.type, 'type'],
  [Header.time, 'time'],
  [Header.subject, 'subject'],
  [Header.contentType, 'datacontenttype'],
  [Header.dataschema, 'dataschema'],
  [Header.correlationid, 'correlationid'],
  [Header.causationid, 'causationid'],
  [Header.partitionkey, 'partitionkey'],
];
const WRITTEN = new Set(ATTRIBUTES.map(([header]) => header));

const CLOSE = Buffer.from('}');
const CLOSE_WITH_DATA = Buffer.from(',"data":');

/** Whether a message is a binary-mode CloudEvent with JSON data (or none), the form encodeEvent makes. */
function isBinaryJsonEvent(headers: Record<string, string>): boolean {
  if (headers[Header.specversion] !== '1.0' || !headers[Header.id] || !headers[Header.source] || !headers[Header.type])
    return false;
  const contentType = headers[Header.contentType];
  return contentType === undefined || contentType === 'application/json' || isJsonContentType(contentType);
}

function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * The structured-mode form of a binary-mode event: the body becomes the JSON object of its
 * attributes with the data spliced in as it is (no parse, no second stringify of the data),
 * `content-type` becomes `application/cloudevents+json`, `ce-traceparent`/`ce-tracestate`
 * become the W3C `traceparent`/`tracestate` headers, other headers stay. `keep` names
 * attribute headers to leave as headers too (the binding's metadata headers), for a transport
 * that reads one before it parses the body. A message that is not a binary-mode JSON event
 * (already structured, or not a CloudEvent) is returned unchanged.
 */
export function toStructuredMessage(message: OutgoingMessage, keep?: readonly string[]): OutgoingMessage {
  const source = message.headers;
  if (!isBinaryJsonEvent(source)) return message;
  let head = '{';
  for (const [header, attribute] of ATTRIBUTES) {
    const value = source[header];
    if (value !== undefined) head += `${head.length > 1 ? ',' : ''}"${attribute}":${JSON.stringify(value)}`;
  }
  const headers: Record<string, string> = { [Header.contentType]: CLOUDEVENTS_JSON };
  for (const name in source) {
    const value = source[name]!;
    // Trace context stays a header, under its W3C name: that is where OpenTelemetry's
    // messaging instrumentations (and every Tandem consumer) read it, before any body is parsed.
    if (name === Header.traceparent) headers.traceparent = value;
    else if (name === Header.tracestate) headers.tracestate = value;
    else if (!name.startsWith(CE_PREFIX)) {
      if (name !== Header.contentType) headers[name] = value;
    } else if (!WRITTEN.has(name)) head += `,${JSON.stringify(name.slice(CE_PREFIX.length))}:${JSON.stringify(value)}`;
  }
  if (keep) for (const name of keep) if (source[name] !== undefined) headers[name] = source[name];
  const data = asBuffer(message.body);
  const body =
    data.byteLength === 0
      ? Buffer.concat([Buffer.from(head), CLOSE])
      : Buffer.concat([Buffer.from(head), CLOSE_WITH_DATA, data, CLOSE]);
  const structured: OutgoingMessage = { topic: message.topic, headers, body };
  // The partitioning extension is the key in both bindings; it must stay outside the body.
  const key = message.key ?? source[Header.partitionkey];
  if (key !== undefined) structured.key = key;
  return structured;
}
