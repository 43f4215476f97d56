/**
 * A fetched batch's records as the messages that may go to handlers now: every record of an
 * event topic; of a retry topic, the records before the first one not due yet.
 */
import type { IncomingMessage } from '@tandem/core';
import type { KafkaMessage } from 'kafkajs';
import { decodeEventRecord, decodeRecord } from './codec.js';

export interface RecordSource {
  /** The Tandem topic of an event topic's records. */
  tandemTopic: string;
  partition: number;
  /** One of the group's retry topics: records carry bookkeeping and may not be due yet. */
  retryTopic: boolean;
}

/** Two arrays, not an object per record: the crash guard's plan needs the offsets as they are. */
export interface ReadyRecords {
  messages: IncomingMessage[];
  offsets: string[];
  /** When the first record held back may be handled (epoch ms); undefined when none is. */
  due: number | undefined;
}

export function readyRecords(records: readonly KafkaMessage[], source: RecordSource): ReadyRecords {
  const messages: IncomingMessage[] = [];
  const offsets: string[] = [];
  // One clock reading per batch: its records arrived together.
  const now = Date.now();
  if (!source.retryTopic) {
    for (const record of records) {
      messages.push(decodeEventRecord(record, source, now));
      offsets.push(record.offset);
    }
    return { messages, offsets, due: undefined };
  }
  for (const record of records) {
    const decoded = decodeRecord(record, source, now);
    if (decoded.due !== undefined && decoded.due > now) return { messages, offsets, due: decoded.due };
    messages.push(decoded.message);
    offsets.push(record.offset);
  }
  return { messages, offsets, due: undefined };
}
