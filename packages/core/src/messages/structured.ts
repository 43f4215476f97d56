/**
 * CloudEvents 1.0 in structured content mode with the JSON event format
 * (`application/cloudevents+json`): the whole event, attributes and data, is one JSON
 * object in the body. The CloudEvents SDKs send this by default in several bindings, so a
 * consumer that accepts only binary mode would dead-letter other services' valid events.
 */
import { MalformedMessageError } from '../errors/errors.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import type { DecodedEvent } from './envelope.js';
import { Header } from './headers.js';
import { clip, CLOUDEVENTS_JSON, isJsonContentType, mediaTypeOf } from './media-type.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Standard base64 (RFC 4648 section 4), padded or not, as the JSON format's `data_base64` carries it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

const REQUIRED = ['id', 'source', 'type', 'specversion'] as const;

function fail(message: IncomingMessage, what: string, cause?: unknown): never {
  throw new MalformedMessageError(
    `structured CloudEvent on '${message.origin.topic}': ${what}`,
    cause === undefined ? undefined : { cause },
  );
}

/** What a value is, for an error message, without writing out what a producer sent. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === '') return 'an empty string';
  return `a ${typeof value}`;
}

/** An attribute's value; the JSON format reads `null` as unset. */
function attribute(event: Record<string, unknown>, name: string): unknown {
  const value = event[name];
  return value === null ? undefined : value;
}

function parseBody(message: IncomingMessage): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(message.body));
  } catch (cause) {
    fail(message, 'body is not valid UTF-8 JSON', cause);
  }
  if (Array.isArray(parsed))
    fail(message, 'body is a JSON array (a batch); send one event per message as application/cloudevents+json');
  if (typeof parsed !== 'object' || parsed === null)
    fail(message, 'body is not a JSON object; the JSON event format is one object with the attributes and data');
  return parsed as Record<string, unknown>;
}

function dataOf(
  message: IncomingMessage,
  event: Record<string, unknown>,
  id: string,
  contentType: string | undefined,
): unknown {
  // The JSON format: no datacontenttype means application/json; what Tandem writes needs no regex.
  const json = contentType === undefined || contentType === 'application/json' || isJsonContentType(contentType);
  // JSON.parse makes no undefined values: present (null included) or absent.
  const hasData = event.data !== undefined;
  const base64 = event.data_base64 === null ? undefined : event.data_base64;
  if (hasData && base64 !== undefined)
    fail(message, `event ${id} has both 'data' and 'data_base64'; the JSON event format allows one`);
  if (!json)
    fail(message, `event ${id}: datacontenttype '${clip(contentType!)}' is not JSON; Tandem events carry JSON data`);
  if (hasData) return event.data;
  if (base64 === undefined) return undefined;
  if (typeof base64 !== 'string' || !BASE64.test(base64))
    fail(message, `event ${id}: 'data_base64' is not a base64 string`);
  try {
    return JSON.parse(decoder.decode(Buffer.from(base64, 'base64')));
  } catch (cause) {
    fail(message, `event ${id}: 'data_base64' does not hold UTF-8 JSON`, cause);
  }
}

/** The one required attribute that is missing or not a non-empty string, when there is one. */
function requiredError(event: Record<string, unknown>): string | undefined {
  const missing = REQUIRED.filter((name) => attribute(event, name) === undefined);
  if (missing.length > 0) return `lacks CloudEvents attributes: ${missing.join(', ')}`;
  for (const name of REQUIRED) {
    const value = event[name];
    if (typeof value !== 'string' || value === '')
      return `attribute '${name}' must be a non-empty string, got ${kindOf(value)}`;
  }
  return undefined;
}

/** An optional text attribute: undefined when unset (absent or null), else it must be a string. */
function optionalText(
  message: IncomingMessage,
  event: Record<string, unknown>,
  name: string,
  id: string,
): string | undefined {
  const value = event[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    fail(message, `event ${clip(id)}: attribute '${name}' must be a string, got ${kindOf(value)}`);
  return value;
}

/**
 * Reads a structured-mode event; throws MalformedMessageError when it is not a valid
 * CloudEvent 1.0. Every structured delivery runs this: the attributes are read one by one
 * into an event of one fixed shape, with no arrays or temporary objects on the way; only a
 * malformed event pays for the detailed error.
 */
export function decodeStructuredEvent(message: IncomingMessage): DecodedEvent {
  const event = parseBody(message);
  const id = event.id;
  const source = event.source;
  const type = event.type;
  if (
    typeof id !== 'string' ||
    id === '' ||
    typeof source !== 'string' ||
    source === '' ||
    typeof type !== 'string' ||
    type === '' ||
    typeof event.specversion !== 'string' ||
    event.specversion === ''
  )
    fail(message, requiredError(event)!);
  if (event.specversion !== '1.0')
    fail(
      message,
      `event ${clip(id)}: unsupported CloudEvents specversion '${clip(event.specversion as string)}'; expected 1.0`,
    );
  const time = optionalText(message, event, 'time', id);
  const subject = optionalText(message, event, 'subject', id);
  const datacontenttype = optionalText(message, event, 'datacontenttype', id);
  const dataschema = optionalText(message, event, 'dataschema', id);
  const correlationId = optionalText(message, event, 'correlationid', id);
  const causationId = optionalText(message, event, 'causationid', id);
  if (time !== undefined && Number.isNaN(Date.parse(time)))
    fail(message, `event ${clip(id)}: attribute 'time' is not an RFC 3339 timestamp: '${clip(time)}'`);
  const data = dataOf(message, event, clip(id), datacontenttype);
  // Assigned in one fixed order, as the binary path does: every delivery has one shape.
  const decoded: DecodedEvent = { id, type, source, data };
  if (time !== undefined) decoded.time = time;
  if (subject !== undefined) decoded.subject = subject;
  if (correlationId !== undefined) decoded.correlationId = correlationId;
  if (causationId !== undefined) decoded.causationId = causationId;
  if (dataschema !== undefined) decoded.dataschema = dataschema;
  return decoded;
}

/**
 * The event type of a message in either mode, unvalidated: `ce-type` in binary mode, the
 * body's `type` in structured mode. For what lists or filters messages by type (activity,
 * replays from the broker's history) off the consume path; undefined when it names none.
 */
export function eventTypeOf(message: OutgoingMessage): string | undefined {
  const type = message.headers[Header.type];
  if (type !== undefined) return type;
  const contentType = message.headers[Header.contentType];
  if (contentType === undefined || mediaTypeOf(contentType) !== CLOUDEVENTS_JSON) return undefined;
  try {
    const event: unknown = JSON.parse(decoder.decode(message.body));
    const named = (event as { type?: unknown } | null)?.type;
    return typeof named === 'string' && named !== '' ? named : undefined;
  } catch {
    return undefined;
  }
}
