/**
 * The AsyncAPI message of an event written in CloudEvents structured mode
 * (`contentMode: 'structured'`): the payload is the JSON event format's object, the
 * attributes beside the contract's data, and only trace context is a header.
 */
import type { JsonSchema } from './json-schema.js';

/** The headers of a structured-mode message. */
export const structuredHeaders: JsonSchema = {
  type: 'object',
  description:
    'W3C trace context. The transports also keep the ordering key outside the payload (the Kafka record key; the AMQP application property cloudEvents_partitionkey) and the event id (Kafka header ce_id; the AMQP message-id property).',
  properties: {
    traceparent: { type: 'string', description: 'W3C trace context.' },
    tracestate: { type: 'string' },
  },
};

/** The structured-mode payload around a contract's data schema, with its definitions hoisted so its references still resolve. */
export function structuredPayload(data: JsonSchema): JsonSchema {
  const { definitions, ...dataSchema } = data;
  return {
    type: 'object',
    description: 'A CloudEvents 1.0 event in the JSON event format (application/cloudevents+json).',
    required: ['specversion', 'id', 'source', 'type'],
    properties: {
      specversion: { type: 'string', const: '1.0' },
      id: { type: 'string', description: 'UUIDv7; consumers deduplicate on it (inbox).' },
      source: { type: 'string', description: 'The publishing service.' },
      type: { type: 'string', description: 'The event name.' },
      time: { type: 'string', format: 'date-time' },
      subject: { type: 'string', description: 'The partition / ordering key.' },
      datacontenttype: { type: 'string', const: 'application/json' },
      dataschema: { type: 'string' },
      correlationid: {
        type: 'string',
        description:
          'The conversation the event belongs to; absent when it is the event id (a missing one reads as the id).',
      },
      causationid: { type: 'string' },
      partitionkey: {
        type: 'string',
        description: 'The partition / ordering key (CloudEvents partitioning extension).',
      },
      data: dataSchema,
    },
    ...(definitions !== undefined ? { definitions } : {}),
  };
}
