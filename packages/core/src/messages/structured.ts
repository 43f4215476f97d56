/**
 * CloudEvents 1.0 in structured content mode with the JSON event format
 * (`application/cloudevents+json`): the whole event, attributes and data, is one JSON
 * object in the body. The CloudEvents SDKs send this by default in several bindings, so a
 * consumer that accepts only binary mode would dead-letter other services' valid events.
 */
import { MalformedMessageError } from '../errors/errors.js';
import type { IncomingMessage } from '../transport/broker.js';
import type { DecodedEvent } from './envelope.js';
import { clip, isJsonContentType } from './media-type.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Standard base64 (RFC 4648 section 4), padded or not, as the JSON format's `data_base64` carries it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

const REQUIRED = ['id', 'source', 'type', 'specversion'] as const;
const OPTIONAL_TEXT = ['time', 'subject', 'datacontenttype', 'dataschema', 'correlationid', 'causationid'] as const;

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

function dataOf(message: IncomingMessage, event: Record<string, unknown>, id: string): unknown {
  const contentType = attribute(event, 'datacontenttype') as string | undefined;
  // The JSON format: no datacontenttype means application/json.
  const json = contentType === undefined || isJsonContentType(contentType);
  const hasData = Object.hasOwn(event, 'data');
  const base64 = attribute(event, 'data_base64');
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

/** Reads a structured-mode event; throws MalformedMessageError when it is not a valid CloudEvent 1.0. */
export function decodeStructuredEvent(message: IncomingMessage): DecodedEvent {
  const event = parseBody(message);
  const missing = REQUIRED.filter((name) => attribute(event, name) === undefined);
  if (missing.length > 0) fail(message, `lacks CloudEvents attributes: ${missing.join(', ')}`);
  for (const name of REQUIRED) {
    const value = event[name];
    if (typeof value !== 'string' || value === '')
      fail(message, `attribute '${name}' must be a non-empty string, got ${kindOf(value)}`);
  }
  const id = clip(event.id as string);
  if (event.specversion !== '1.0')
    fail(
      message,
      `event ${id}: unsupported CloudEvents specversion '${clip(String(event.specversion))}'; expected 1.0`,
    );
  const text: Partial<Record<(typeof OPTIONAL_TEXT)[number], string>> = {};
  for (const name of OPTIONAL_TEXT) {
    const value = attribute(event, name);
    if (value === undefined) continue;
    if (typeof value !== 'string')
      fail(message, `event ${id}: attribute '${name}' must be a string, got ${kindOf(value)}`);
    text[name] = value;
  }
  if (text.time !== undefined && Number.isNaN(Date.parse(text.time)))
    fail(message, `event ${id}: attribute 'time' is not an RFC 3339 timestamp: '${clip(text.time)}'`);
  const data = dataOf(message, event, id);
  return {
    id: event.id as string,
    type: event.type as string,
    source: event.source as string,
    ...(text.time !== undefined ? { time: text.time } : {}),
    ...(text.subject !== undefined ? { subject: text.subject } : {}),
    ...(text.correlationid !== undefined ? { correlationId: text.correlationid } : {}),
    ...(text.causationid !== undefined ? { causationId: text.causationid } : {}),
    ...(text.dataschema !== undefined ? { dataschema: text.dataschema } : {}),
    data,
  };
}
