/**
 * An AsyncAPI 3.0 document for the events an app publishes and consumes: one channel per
 * event (its topic / routing key), a `send` operation per publishing service and a
 * `receive` operation per consumer group, message payloads from the contracts' schemas,
 * and the CloudEvents binary-mode headers every Tandem message carries (or, for a transport
 * set to `contentMode: 'structured'`, the JSON event format's payload around the data).
 */
import type { EventContract } from '../contracts/contracts.js';
import { Header } from '../messages/headers.js';
import type { ContentMode } from '../messages/content-mode.js';
import { dataschemaOf } from '../messages/envelope.js';
import { CLOUDEVENTS_JSON } from '../messages/media-type.js';
import { SagaMessageType } from '../sagas/messages.js';
import type { AppModel, EventUse } from './app-model.js';
import { structuredHeaders, structuredPayload } from './asyncapi-structured.js';
import { jsonSchemaOf, type JsonSchema } from './json-schema.js';

/** Title, version, description and servers of a generated AsyncAPI document. */
export interface AsyncApiOptions {
  title: string;
  version: string;
  description?: string;
  /** e.g. `{ production: { host: 'kafka:9092', protocol: 'kafka' } }`. */
  servers?: Record<string, { host: string; protocol: string; description?: string }>;
  /** How the app's transport writes events (its `contentMode`); default 'binary'. */
  contentMode?: ContentMode;
}

const SCHEMA_FORMAT = 'application/schema+json;version=draft-07';

/** The tag of a saga's own channels. */
export const INTERNAL_TAG = 'tandem-internal';

function sagaSender(saga: string, type: string): string {
  if (type === SagaMessageType.command) return `saga ${saga} sends the commands its dispatcher calls`;
  if (type === SagaMessageType.reply) return `the dispatcher of saga ${saga} answers a command it called`;
  return `the saga clock of an app running saga ${saga} fires a timeout`;
}

/** AsyncAPI keys allow letters, digits, '.', '-' and '_'; contract names already fit. */
function key(...parts: string[]): string {
  return parts.join('.').replace(/[^a-zA-Z0-9.\-_]/g, '_');
}

const cloudEventHeaders: JsonSchema = {
  type: 'object',
  description:
    'CloudEvents 1.0 attributes in binary mode, in the canonical form; each transport maps them to its protocol binding (ce_ for Kafka, cloudEvents_ for AMQP).',
  required: [Header.specversion, Header.id, Header.source, Header.type],
  properties: {
    [Header.specversion]: { type: 'string', const: '1.0' },
    [Header.id]: { type: 'string', description: 'UUIDv7; consumers deduplicate on it (inbox).' },
    [Header.source]: { type: 'string', description: 'The publishing service.' },
    [Header.type]: { type: 'string', description: 'The event name.' },
    [Header.time]: { type: 'string', format: 'date-time' },
    [Header.dataschema]: { type: 'string' },
    [Header.subject]: { type: 'string', description: 'The partition / ordering key.' },
    [Header.partitionkey]: {
      type: 'string',
      description: 'The partition / ordering key (CloudEvents partitioning extension).',
    },
    [Header.correlationid]: {
      type: 'string',
      description:
        'The conversation the event belongs to; absent when it is the event id (a missing one reads as the id).',
    },
    [Header.causationid]: { type: 'string' },
    [Header.traceparent]: { type: 'string', description: 'W3C trace context.' },
    [Header.tracestate]: { type: 'string' },
  },
};

/** Content type, headers, payload and correlation id of a message carrying `data`, in a content mode. */
function wireForm(data: JsonSchema, contentMode: ContentMode): JsonSchema {
  if (contentMode === 'structured')
    return {
      contentType: CLOUDEVENTS_JSON,
      headers: { schemaFormat: SCHEMA_FORMAT, schema: structuredHeaders },
      payload: { schemaFormat: SCHEMA_FORMAT, schema: structuredPayload(data) },
      correlationId: { location: '$message.payload#/id' },
    };
  return {
    contentType: 'application/json',
    headers: { schemaFormat: SCHEMA_FORMAT, schema: cloudEventHeaders },
    payload: { schemaFormat: SCHEMA_FORMAT, schema: data },
    correlationId: { location: `$message.header#/${Header.id}` },
  };
}

/** The older versions an event's consumers accept, and whether they take newer ones, as extensions. */
function versionNotes(contract: EventContract): JsonSchema {
  return {
    ...(contract.olderVersions.size > 0 ? { 'x-accepts-versions': [...contract.olderVersions.keys()] } : {}),
    ...(contract.accepts === 'newer' ? { 'x-accepts-newer': true } : {}),
  };
}

/** Where an event's channel, message and operations go in the document. */
interface EventEntry {
  use: EventUse;
  /** For a saga's own messages: the saga, whose name prefixes their ids (every saga's have the same type names). */
  saga?: string;
}

/** An AsyncAPI 3.0 document for an app's events: channels, send/receive operations, payload schemas. */
export function asyncApiDocument(model: AppModel, options: AsyncApiOptions): JsonSchema {
  const channels: JsonSchema = {};
  const operations: JsonSchema = {};
  const messages: JsonSchema = {};
  const contentMode = options.contentMode ?? 'binary';
  const entries: EventEntry[] = [
    ...model.events.map((use) => ({ use })),
    ...model.sagas.flatMap((saga) => saga.internal.map((use) => ({ use, saga: saga.name }))),
  ];
  for (const { use, saga } of entries) {
    const { contract, publishers, consumers } = use;
    const prefix = saga !== undefined ? [saga] : [];
    const channelId = key(...prefix, contract.name);
    const messageId = key(...prefix, contract.name, `v${contract.version}`);
    messages[messageId] = {
      name: contract.name,
      title: contract.name,
      ...(contract.description ? { summary: contract.description } : {}),
      ...wireForm(jsonSchemaOf(contract.data, 'output', 'draft-7'), contentMode),
      'x-dataschema': dataschemaOf(contract),
      'x-version': contract.version,
      ...versionNotes(contract),
    };
    // Each older version a consumer still takes is a message of the channel too, received
    // (and upcast) but never sent: producers publish the current version only.
    const olderIds: string[] = [];
    for (const [version, older] of contract.olderVersions) {
      const olderId = key(...prefix, contract.name, `v${version}`);
      olderIds.push(olderId);
      messages[olderId] = {
        name: contract.name,
        title: `${contract.name} (version ${version})`,
        summary: `Version ${version}, still accepted: consumers upcast it to version ${contract.version} before handling.`,
        ...wireForm(jsonSchemaOf(older.data, 'output', 'draft-7'), contentMode),
        'x-dataschema': `urn:tandem:event:${contract.name}:v${version}`,
        'x-version': version,
      };
    }
    channels[channelId] = {
      address: contract.topic,
      ...(saga !== undefined
        ? {
            title: `${saga}: ${contract.name}`,
            description: `Internal to saga '${saga}': ${contract.description ?? contract.name}. Written and read by Tandem only; no other service publishes or consumes it.`,
            tags: [{ name: INTERNAL_TAG, description: "A saga's own topic (Tandem plumbing)." }],
          }
        : contract.description
          ? { description: contract.description }
          : {}),
      messages: Object.fromEntries([messageId, ...olderIds].map((id) => [id, { $ref: `#/components/messages/${id}` }])),
    };
    const ref = { $ref: `#/channels/${channelId}/messages/${messageId}` };
    const received = [ref, ...olderIds.map((id) => ({ $ref: `#/channels/${channelId}/messages/${id}` }))];
    for (const service of publishers) {
      operations[key(service, 'send', ...prefix, contract.name)] = {
        action: 'send',
        channel: { $ref: `#/channels/${channelId}` },
        summary: saga !== undefined ? sagaSender(saga, contract.name) : `${service} publishes ${contract.name}`,
        messages: [ref],
      };
    }
    for (const consumer of consumers) {
      operations[key(consumer.group, 'receive', contract.name)] = {
        action: 'receive',
        channel: { $ref: `#/channels/${channelId}` },
        summary: `consumer group ${consumer.group} (${consumer.handlerName})`,
        messages: received,
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: options.title,
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    ...(options.servers ? { servers: options.servers } : {}),
    defaultContentType: contentMode === 'structured' ? CLOUDEVENTS_JSON : 'application/json',
    channels,
    operations,
    components: { messages },
  };
}
