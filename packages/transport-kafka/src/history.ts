/**
 * A Kafka event topic as a replay's history: the records of some types in a time window,
 * read from the topic itself (offsets looked up by timestamp, read up to the end the topic
 * had when the read began), in offset order per partition, which is per-key order.
 */
import { ConfigError, type EventHistory, type HistoryQuery, type PastEvent } from '@tandem/core';
import type { Admin, Kafka } from 'kafkajs';
import { HistoryReader, type TopicRanges } from './history-reader.js';
import { partitionRanges } from './history-window.js';
import type { KafkaTopicNames } from './names.js';

export interface KafkaHistoryDeps {
  kafka: () => Kafka;
  /** The transport's admin client; throws when the transport is not connected. */
  admin: () => Admin;
  names: KafkaTopicNames;
  maxWaitTimeMs: number;
}

/** Events read ahead of a replay at most (more when a batch is larger). */
const MAX_READ_AHEAD = 5_000;
/** Longest the reader may take to join its throwaway group (a real cluster's first join waits ~3 s). */
const JOIN_TIMEOUT_MS = 60_000;

export class KafkaHistory implements EventHistory {
  readonly name = 'kafka topics';
  /** Reads under way, closed with the transport. */
  private readonly reading = new Set<HistoryReader>();

  constructor(private readonly deps: KafkaHistoryDeps) {}

  /** Reads the window to count it: a topic cannot count by type without reading. */
  async count(query: HistoryQuery): Promise<number> {
    let total = 0;
    for await (const batch of this.read(query, 1_000)) total += batch.length;
    return total;
  }

  async *read(query: HistoryQuery, batchSize: number): AsyncGenerator<PastEvent[]> {
    const admin = this.deps.admin();
    const topics = await this.plan(admin, query);
    const reader = new HistoryReader(topics, query, {
      kafka: this.deps.kafka(),
      admin,
      maxWaitTimeMs: this.deps.maxWaitTimeMs,
      maxBuffered: MAX_READ_AHEAD,
      joinTimeoutMs: JOIN_TIMEOUT_MS,
    });
    this.reading.add(reader);
    try {
      yield* reader.batches(batchSize);
    } finally {
      this.reading.delete(reader);
    }
  }

  /** Ends the reads under way: their consumers leave, and the replays reading them stop with an error. */
  async close(): Promise<void> {
    const readers = [...this.reading];
    this.reading.clear();
    await Promise.allSettled(readers.map((r) => r.close()));
  }

  /** What to read of each topic; a topic that does not exist is a mistake in the replay's topics. */
  private async plan(admin: Admin, query: HistoryQuery): Promise<TopicRanges[]> {
    // Listed first: asking a missing topic's offsets would create it on a cluster that auto-creates topics.
    const existing = new Set(await admin.listTopics());
    const wanted = [...new Set(query.topics)].map((tandemTopic) => ({
      tandemTopic,
      kafkaTopic: this.deps.names.event(tandemTopic),
    }));
    for (const { tandemTopic, kafkaTopic } of wanted) {
      if (!existing.has(kafkaTopic))
        throw new ConfigError(
          `kafka replay: topic '${kafkaTopic}' does not exist, so there is no history of ${tandemTopic} to read; ` +
            `if the event's contract publishes to another topic, name that topic (--topic)`,
        );
    }
    return Promise.all(
      wanted.map(async ({ tandemTopic, kafkaTopic }) => {
        const [offsets, bySince, atZero] = await Promise.all([
          admin.fetchTopicOffsets(kafkaTopic),
          admin.fetchTopicOffsetsByTimestamp(kafkaTopic, query.since),
          admin.fetchTopicOffsetsByTimestamp(kafkaTopic, 0),
        ]);
        return { kafkaTopic, tandemTopic, ranges: partitionRanges(offsets, bySince, atZero) };
      }),
    );
  }
}
