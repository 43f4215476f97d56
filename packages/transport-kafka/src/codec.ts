/**
 * Tandem messages to Kafka records and back, in the CloudEvents Kafka binding's binary
 * mode: every `ce-<attr>` header travels as `ce_<attr>`, `content-type` stays
 * `content-type`, the body is the event data, and the record key is the partition key
 * (the binding maps the `partitionkey` extension to the key). W3C trace context is also
 * written as plain `traceparent` / `tracestate` headers, which is what Kafka
 * instrumentations that know nothing of CloudEvents read.
 * In structured mode (`contentMode: 'structured'`) published events are first turned into
 * one `application/cloudevents+json` value (core's toStructuredMessage): the key, `ce_id` and
 * the W3C trace headers stay outside it.
 */
import {
  Header,
  toStructuredMessage,
  type ContentMode,
  type IncomingMessage,
  type MessageOrigin,
  type OutgoingMessage,
} from '@tandem/core';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { HeaderText } from './header-text.js';

/** How Tandem's headers map to Kafka record headers (CloudEvents binary mode). */
export const KAFKA_BINDING = { prefix: 'ce_' } as const;
/** Tandem's own (HTTP binding) prefix for CloudEvents attributes, see core messages/headers.ts. */
const CE_PREFIX = 'ce-';

/** Headers the transport adds to retry records; they never reach a handler. */
export const RetryHeader = {
  due: 'tandem-retry-due',
} as const;

const TRANSPORT_HEADERS: readonly string[] = [
  RetryHeader.due,
  Header.originTopic,
  Header.originPartition,
  Header.originOffset,
  Header.group,
];

function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Most distinct header names remembered by `wireName`; past it, names are renamed each time. */
const MAX_WIRE_NAMES = 512;
const wireNames = new Map<string, string>();

/**
 * The Kafka binding's name of a Tandem header (`ce-id` -> `ce_id`, others unchanged). The
 * same few names come with every record, so each is renamed once and the remembered string
 * is reused: no new string per header per record for kafkajs to measure and copy.
 */
function wireName(name: string): string {
  let wire = wireNames.get(name);
  if (wire === undefined) {
    wire = name.startsWith(CE_PREFIX) ? KAFKA_BINDING.prefix + name.slice(CE_PREFIX.length) : name;
    if (wireNames.size < MAX_WIRE_NAMES) wireNames.set(name, wire);
  }
  return wire;
}

/**
 * The Kafka record of a message; `extra` headers (transport bookkeeping) are added as they
 * are. This is `toBindingHeaders` for the Kafka binding done in one pass, as it runs for
 * every published record.
 */
export function encodeRecord(message: OutgoingMessage, extra?: Record<string, string>): Message {
  const source = message.headers;
  const headers: IHeaders = {};
  for (const name of Object.keys(source)) headers[wireName(name)] = source[name]!;
  const traceparent = source[Header.traceparent];
  const tracestate = source[Header.tracestate];
  if (traceparent !== undefined) headers.traceparent = traceparent;
  if (tracestate !== undefined) headers.tracestate = tracestate;
  if (extra) Object.assign(headers, extra);
  const key = message.key ?? source[Header.partitionkey];
  return { key: key ?? null, value: asBuffer(message.body), headers };
}

/**
 * Attribute headers a structured record keeps beside its body (the binding's metadata
 * headers): the id, which a consumer takes before it parses anything, as the id the inbox
 * deduplicates on and dead letters and replays go by. Without it a record's id is its
 * position, and two copies of one event (a relay that sent it twice) would both be handled.
 */
const STRUCTURED_KEPT: readonly string[] = [Header.id];

/** The Kafka record of an event published to its topic, in the transport's content mode. */
export function encodeEventRecord(message: OutgoingMessage, contentMode: ContentMode): Message {
  return encodeRecord(contentMode === 'binary' ? message : toStructuredMessage(message, STRUCTURED_KEPT));
}

/** Header values as text: kafkajs hands out Buffers (or arrays of them for repeated names). */
export function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const name of Object.keys(headers)) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value !== undefined) out[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return out;
}

const BOOKKEEPING = new Set(TRANSPORT_HEADERS);

/** What a record header is to the decoder; see `headerRole`. */
const enum Role {
  /** A CloudEvents attribute: `name` is its Tandem (`ce-`) name. */
  Attribute,
  TraceParent,
  TraceState,
  /** The transport's own header (retry records): `name` is its lower-case name. */
  Bookkeeping,
  /** Any other header, kept under its own name. */
  Other,
}

interface HeaderRole {
  role: Role;
  name: string;
  /** Its values' text, reused while they repeat (header-text.ts). */
  text: HeaderText;
}

/** Most distinct wire names whose role is remembered; past it, names are classified each time. */
const MAX_HEADER_ROLES = 512;
const headerRoles = new Map<string, HeaderRole>();

/** The values of names not kept in `headerRoles`: decoded each time. */
const UNREMEMBERED = new HeaderText(false);

function roleOf(role: Role, name: string): HeaderRole {
  return { role, name, text: new HeaderText() };
}

/**
 * How a record header's name is read. The same few names come with every record, so each is
 * classified (and its `ce-` name made) once: no lower-casing, prefix test or new string per
 * header per record.
 */
function headerRole(name: string): HeaderRole {
  let known = headerRoles.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  if (lower.startsWith(KAFKA_BINDING.prefix))
    known = roleOf(Role.Attribute, CE_PREFIX + lower.slice(KAFKA_BINDING.prefix.length));
  else if (lower === 'traceparent') known = roleOf(Role.TraceParent, lower);
  else if (lower === 'tracestate') known = roleOf(Role.TraceState, lower);
  else if (BOOKKEEPING.has(lower)) known = roleOf(Role.Bookkeeping, lower);
  else known = roleOf(Role.Other, name);
  if (headerRoles.size < MAX_HEADER_ROLES) headerRoles.set(name, known);
  else known.text = UNREMEMBERED;
  return known;
}

/**
 * Tandem's form of record headers (`ce-*`), trace context folded into the CloudEvents
 * extension. This is `fromBindingHeaders` for the Kafka binding done in one pass, as it
 * runs for every consumed record. Given `bookkeeping`, the transport's own headers go there
 * instead of into the result (`false`: they are dropped). `skip` names one Tandem header left
 * out of the result.
 */
export function decodeHeaders(
  headers: IHeaders | undefined,
  bookkeeping?: Record<string, string> | false,
  skip?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  let traceparent: string | undefined;
  let tracestate: string | undefined;
  for (const wire in headers) {
    const raw = headers[wire];
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first === undefined) continue;
    const known = headerRole(wire);
    const { role, name } = known;
    const value = typeof first === 'string' ? first : known.text.textOf(first);
    if (role === Role.Attribute) {
      if (name !== skip) out[name] = value;
    } else if (role === Role.TraceParent) traceparent = value;
    else if (role === Role.TraceState) tracestate = value;
    else if (role === Role.Bookkeeping) {
      if (bookkeeping) bookkeeping[name] = value;
      else if (bookkeeping === undefined) out[wire] = value;
    } else if (name !== skip) out[name] = value;
  }
  if (traceparent !== undefined) out[Header.traceparent] ??= traceparent;
  if (tracestate !== undefined) out[Header.tracestate] ??= tracestate;
  return out;
}

function attemptOf(value: string | undefined): number {
  const attempt = Number(value);
  return Number.isInteger(attempt) && attempt >= 1 ? attempt : 1;
}

export interface DecodedRecord {
  message: IncomingMessage;
  /** When a retry record may be handled (epoch ms); absent for first deliveries. */
  due?: number;
}

/**
 * The id of a message that arrived without `ce_id`: its topic, partition and offset, so it
 * stays the same on redelivery (the inbox still deduplicates) and its dead letter can be
 * listed and replayed by it.
 */
export function positionId(origin: MessageOrigin): string {
  return `${origin.topic}/${origin.partition ?? ''}/${origin.offset ?? ''}`;
}

/**
 * A consumed record as the runtime sees it. `topic` is the Tandem topic: the one the
 * record was published to, or for a retry record the one it first came from, together
 * with its first partition and offset, so dead letters name where a message began.
 *
 * The transport's bookkeeping (due time, origin, `tandem-attempt`) is read only from a
 * record of one of the group's retry topics (`where.retryTopic`), which only the transport
 * writes. On an event topic a producer wrote it: trusted, a made-up attempt would skip the
 * message's retries and a due time far ahead would hold up its partition, so there the
 * record is a first delivery and those headers are dropped.
 */
export function decodeRecord(
  record: KafkaMessage,
  where: { tandemTopic: string; partition: number; retryTopic: boolean },
  now = Date.now(),
): DecodedRecord {
  if (!where.retryTopic) return { message: decodeEventRecord(record, where, now) };
  const bookkeeping: Record<string, string> = {};
  const headers = decodeHeaders(record.headers, bookkeeping);
  const originTopic = bookkeeping[Header.originTopic];
  const dueText = bookkeeping[RetryHeader.due];
  const isRetry = dueText !== undefined && originTopic !== undefined;
  if (!isRetry) {
    delete headers[Header.attempt];
    const origin: MessageOrigin = { topic: where.tandemTopic, partition: where.partition, offset: record.offset };
    return { message: incoming(record, headers, where.tandemTopic, origin, 1, now) };
  }
  const partition = bookkeeping[Header.originPartition];
  const offset = bookkeeping[Header.originOffset];
  const origin: MessageOrigin = { topic: originTopic };
  if (partition !== undefined) origin.partition = Number(partition);
  if (offset !== undefined) origin.offset = offset;
  const message = incoming(record, headers, originTopic, origin, attemptOf(headers[Header.attempt]), now);
  const due = Number(dueText);
  return Number.isFinite(due) ? { message, due } : { message };
}

/**
 * A record of an event topic (not a retry topic): always a first delivery, see
 * `decodeRecord`. The transport's headers a producer wrote are dropped while reading (not
 * deleted after: a delete turns the headers object into a slow dictionary). `now` is when
 * its batch arrived.
 */
export function decodeEventRecord(
  record: KafkaMessage,
  where: { tandemTopic: string; partition: number },
  now: number,
): IncomingMessage {
  const headers = decodeHeaders(record.headers, false, Header.attempt);
  const origin: MessageOrigin = { topic: where.tandemTopic, partition: where.partition, offset: record.offset };
  return incoming(record, headers, where.tandemTopic, origin, 1, now);
}

function incoming(
  record: KafkaMessage,
  headers: Record<string, string>,
  topic: string,
  origin: MessageOrigin,
  attempt: number,
  receivedAt: number,
): IncomingMessage {
  const key = record.key === null ? headers[Header.partitionkey] : record.key.toString('utf8');
  const body = record.value ?? EMPTY;
  // Not from Tandem: a position-based id stays the same on redelivery, so the inbox still deduplicates.
  const id = headers[Header.id] || positionId(origin);
  // Two literals rather than a spread: a message without a key has no `key` at all. The
  // consumer sets `deliveryCount` before the handler runs: made here with room for it, the
  // message needs no second allocation (a property store past a literal's size) per record.
  return key === undefined
    ? { topic, headers, body, id, attempt, receivedAt, origin, deliveryCount: undefined }
    : { topic, key, headers, body, id, attempt, receivedAt, origin, deliveryCount: undefined };
}

const EMPTY = new Uint8Array(0);

/** A retry record: the message as received plus its next attempt, due time, origin and group. */
export function encodeRetryRecord(message: IncomingMessage, group: string, attempt: number, due: number): Message {
  const extra: Record<string, string> = {
    [RetryHeader.due]: String(due),
    [Header.group]: group,
    [Header.originTopic]: message.origin.topic,
  };
  if (message.origin.partition !== undefined) extra[Header.originPartition] = String(message.origin.partition);
  if (message.origin.offset !== undefined) extra[Header.originOffset] = message.origin.offset;
  return encodeRecord({ ...message, headers: { ...message.headers, [Header.attempt]: String(attempt) } }, extra);
}
