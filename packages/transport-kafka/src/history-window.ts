/**
 * Which records of an event topic a replay reads (the offsets of each partition) and which
 * of them it keeps (type and time window). Pure: history.ts asks the broker, history-reader.ts
 * reads the records.
 */
import { eventTypeOf, type HistoryQuery, type PastEvent } from '@tandem/core';
import type { KafkaMessage } from 'kafkajs';
import { decodeRecord } from './codec.js';

/** A partition's offsets as kafkajs's admin gives them. */
export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

/** An offset a broker looked up for a timestamp, per partition. */
export interface OffsetAt {
  partition: number;
  offset: string;
}

/** The offsets of one partition to read: from `from` up to, not including, `end`. */
export interface PartitionRange {
  partition: number;
  from: bigint;
  end: bigint;
}

function offsetOf(answers: readonly OffsetAt[], partition: number): bigint | undefined {
  const answer = answers.find((a) => a.partition === partition);
  return answer === undefined ? undefined : BigInt(answer.offset);
}

/**
 * The ranges to read for a window starting at `since`: from the first offset the broker
 * finds at or after `since` (`bySince`) to the high watermark when the read began, so a
 * replay ends even while producers keep writing.
 *
 * `atZero` is the broker's answer for timestamp 0, which is the log start on a broker that
 * looks offsets up by timestamp. A broker that does not (librdkafka's mock cluster answers
 * the end for any timestamp) gives another offset: that partition is then read from its
 * log start, and the time filter alone keeps the window.
 */
export function partitionRanges(
  offsets: readonly PartitionOffsets[],
  bySince: readonly OffsetAt[],
  atZero: readonly OffsetAt[],
): PartitionRange[] {
  const ranges: PartitionRange[] = [];
  for (const { partition, low, high } of offsets) {
    const start = BigInt(low);
    const end = BigInt(high);
    if (end <= start) continue;
    const found = offsetOf(bySince, partition);
    const trusted = offsetOf(atZero, partition) === start && found !== undefined;
    const from = trusted && found > start ? found : start;
    if (from < end) ranges.push({ partition, from, end });
  }
  return ranges;
}

/** What a record is to a replay: an event to deliver, one to leave out, or the first past the window's end. */
export type RecordVerdict = { event: PastEvent } | 'skip' | 'after-window';

/**
 * The past event a record of an event topic is, when its type (`ce_type`, or the `type` in a
 * structured record's body) is one asked for and its
 * timestamp is in [since, until). Its id is the one a live consumer saw (`ce_id`, or its
 * position for a record without one), so the target group's inbox deduplicates it.
 */
export function recordVerdict(
  record: KafkaMessage,
  where: { tandemTopic: string; partition: number },
  query: Pick<HistoryQuery, 'types' | 'since' | 'until'>,
): RecordVerdict {
  const time = Number(record.timestamp);
  if (time >= query.until) return 'after-window';
  if (time < query.since) return 'skip';
  const { message } = decodeRecord(record, { ...where, retryTopic: false });
  const type = eventTypeOf(message);
  if (type === undefined || !query.types.includes(type)) return 'skip';
  return {
    event: {
      id: message.id,
      message: {
        topic: message.topic,
        ...(message.key !== undefined ? { key: message.key } : {}),
        headers: message.headers,
        body: message.body,
      },
      time,
    },
  };
}
