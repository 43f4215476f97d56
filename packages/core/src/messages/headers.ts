/**
 * Header names on Tandem's transport-neutral messages.
 *
 * CloudEvents attributes are kept in their HTTP binding form (`ce-<attribute>`, and
 * `content-type` for `datacontenttype`). Each broker transport maps them to its own
 * binding on the wire (Kafka `ce_`, AMQP `cloudEvents_`) with `toBindingHeaders` /
 * `fromBindingHeaders`, so any CloudEvents reader understands what Tandem writes.
 */
export const CE_PREFIX = 'ce-';

/** The names of the message headers Tandem sets and reads (id, type, source, trace context, ...). */
export const Header = {
  id: 'ce-id',
  source: 'ce-source',
  type: 'ce-type',
  specversion: 'ce-specversion',
  time: 'ce-time',
  subject: 'ce-subject',
  dataschema: 'ce-dataschema',
  contentType: 'content-type',
  traceparent: 'ce-traceparent',
  tracestate: 'ce-tracestate',
  partitionkey: 'ce-partitionkey',
  correlationid: 'ce-correlationid',
  causationid: 'ce-causationid',
  /** Delivery attempt (1 for the first); written by a transport when it redelivers for a retry. */
  attempt: 'tandem-attempt',
  /** Consumer group a retried or dead-lettered message belongs to. */
  group: 'tandem-group',
  deadLetterReason: 'tandem-dead-letter-reason',
  deadLetterError: 'tandem-dead-letter-error',
  deadLetterAttempts: 'tandem-dead-letter-attempts',
  deadLetterTime: 'tandem-dead-letter-time',
  /** The id a transport gave a dead-lettered message that arrived without `ce-id`, so it can be listed and replayed. */
  deadLetterId: 'tandem-dead-letter-id',
  originTopic: 'tandem-origin-topic',
  originPartition: 'tandem-origin-partition',
  originOffset: 'tandem-origin-offset',
  originQueue: 'tandem-origin-queue',
} as const;

/**
 * Renames CloudEvents headers for a protocol binding: `ce-id` becomes `${prefix}id`,
 * `content-type` becomes `contentTypeKey` when given. Other headers pass unchanged.
 */
export function toBindingHeaders(
  headers: Record<string, string>,
  binding: { prefix: string; contentTypeKey?: string },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(CE_PREFIX)) out[binding.prefix + name.slice(CE_PREFIX.length)] = value;
    else if (name === Header.contentType && binding.contentTypeKey !== undefined) out[binding.contentTypeKey] = value;
    else out[name] = value;
  }
  return out;
}

/** The inverse of `toBindingHeaders`; prefixes are matched case-insensitively as the bindings allow. */
export function fromBindingHeaders(
  headers: Record<string, string>,
  binding: { prefix: string; contentTypeKey?: string; alternatePrefixes?: string[] },
): Record<string, string> {
  const prefixes = [binding.prefix, ...(binding.alternatePrefixes ?? [])].map((p) => p.toLowerCase());
  const ctKey = binding.contentTypeKey?.toLowerCase();
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    const prefix = prefixes.find((p) => lower.startsWith(p));
    if (prefix !== undefined) out[CE_PREFIX + lower.slice(prefix.length)] = value;
    else if (ctKey !== undefined && lower === ctKey) out[Header.contentType] = value;
    else out[name] = value;
  }
  return out;
}
