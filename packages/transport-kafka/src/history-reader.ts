/**
 * Reads offset ranges of event topics once, for a replay, with a consumer of its own that
 * never commits: a throwaway consumer group (kafkajs has no assign-style reading) that seeks
 * each partition to its range and leaves, and is deleted, when the read ends.
 *
 * Records of one partition are kept in offset order, which is per-key order. The consumer
 * waits (heartbeating) while the events read and not yet taken pass `maxBuffered`, so a
 * slow, rate-limited replay does not hold a whole topic in memory.
 */
import { randomBytes } from 'node:crypto';
import { BrokerError, TimeoutError, type HistoryQuery, type PastEvent } from '@tandem/core';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { recordVerdict, type PartitionRange } from './history-window.js';

/** What to read from one event topic. */
export interface TopicRanges {
  kafkaTopic: string;
  /** The Tandem topic its events were published to. */
  tandemTopic: string;
  ranges: PartitionRange[];
}

export interface HistoryReaderDeps {
  kafka: Kafka;
  admin: Admin;
  maxWaitTimeMs: number;
  /** Most events read ahead of the replay. */
  maxBuffered: number;
  /** Longest the consumer may take to join its group and get partitions. */
  joinTimeoutMs: number;
}

interface Position {
  kafkaTopic: string;
  tandemTopic: string;
  partition: number;
  next: bigint;
  end: bigint;
  done: boolean;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class HistoryReader {
  private readonly positions = new Map<string, Position>();
  private readonly buffer: PastEvent[] = [];
  private readonly groupId = `tandem.replay.${randomBytes(6).toString('hex')}`;
  private readonly consumer: Consumer;
  private remaining = 0;
  /** Most events read ahead: `maxBuffered`, or two batches when a batch is larger. */
  private limit: number;
  private failure: unknown;
  private rejectFailed!: (error: unknown) => void;
  /** Rejects once the consumer fails for good. */
  private readonly failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
  private stopped = false;
  /** Wakes whoever waits: the replay for events, the consumer for room. */
  private wake: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    topics: readonly TopicRanges[],
    private readonly query: HistoryQuery,
    private readonly deps: HistoryReaderDeps,
  ) {
    for (const { kafkaTopic, tandemTopic, ranges } of topics)
      for (const { partition, from, end } of ranges) {
        this.positions.set(key(kafkaTopic, partition), {
          kafkaTopic,
          tandemTopic,
          partition,
          next: from,
          end,
          done: false,
        });
        this.remaining++;
      }
    this.failed.catch(() => undefined); // observed through `failure` by the reading loop
    this.limit = deps.maxBuffered;
    this.consumer = deps.kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: deps.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
  }

  /** The events read, in batches of at most `batchSize`; the consumer is gone once this ends, however it ends. */
  async *batches(batchSize: number): AsyncGenerator<PastEvent[]> {
    try {
      if (this.remaining === 0) return;
      this.limit = Math.max(this.deps.maxBuffered, 2 * batchSize);
      await this.start();
      for (;;) {
        if (this.failure !== undefined) throw this.failure;
        if (this.stopped) throw new BrokerError('kafka replay: the transport closed while reading the history');
        const finished = this.remaining === 0;
        if (this.buffer.length >= batchSize || (finished && this.buffer.length > 0)) {
          const batch = this.buffer.splice(0, batchSize);
          this.notify();
          yield batch;
        } else if (finished) return;
        else await this.changed();
      }
    } finally {
      await this.close();
    }
  }

  private async start(): Promise<void> {
    const { CRASH, GROUP_JOIN, START_BATCH_PROCESS } = this.consumer.events;
    let joined!: () => void;
    const joining = new Promise<void>((resolve) => (joined = resolve));
    this.consumer.on(GROUP_JOIN, () => {
      this.seekAll();
      joined();
    });
    this.consumer.on(CRASH, (event) => {
      if (!event.payload.restart) this.fail(event.payload.error);
    });
    // A batch of control records only (transactions) never reaches eachBatch; it still moves the position.
    this.consumer.on(START_BATCH_PROCESS, ({ payload }) => {
      const position = this.positions.get(key(payload.topic, payload.partition));
      if (position && payload.batchSize === 0) this.advance(position, BigInt(payload.lastOffset) + 1n);
    });
    const topics = [...new Set([...this.positions.values()].map((p) => p.kafkaTopic))];
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({ autoCommit: false, eachBatch: (payload) => this.onBatch(payload) });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TimeoutError(
              `kafka replay: the history reader did not join a consumer group within ${this.deps.joinTimeoutMs} ms`,
            ),
          ),
        this.deps.joinTimeoutMs,
      );
    });
    try {
      await Promise.race([joining, late, this.failed]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** On every join (a rejoin starts from nothing committed): each partition from where the read is. */
  private seekAll(): void {
    for (const p of this.positions.values()) {
      if (!p.done) this.consumer.seek({ topic: p.kafkaTopic, partition: p.partition, offset: p.next.toString() });
    }
    this.pauseDone();
  }

  private pauseDone(): void {
    const byTopic = new Map<string, number[]>();
    for (const p of this.positions.values())
      if (p.done) byTopic.set(p.kafkaTopic, [...(byTopic.get(p.kafkaTopic) ?? []), p.partition]);
    if (byTopic.size > 0) this.consumer.pause([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const position = this.positions.get(key(batch.topic, batch.partition));
    // A partition with nothing to read (or read already) that the group assigned all the same.
    if (!position || position.done) return this.consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
    const where = { tandemTopic: position.tandemTopic, partition: position.partition };
    for (const record of batch.messages) {
      if (!isRunning() || isStale()) return;
      const offset = BigInt(record.offset);
      if (offset < position.next) continue;
      if (offset >= position.end) return this.finish(position);
      const verdict = recordVerdict(record, where, this.query);
      if (verdict === 'after-window') return this.finish(position);
      if (verdict !== 'skip') this.buffer.push(verdict.event);
      position.next = offset + 1n;
    }
    this.advance(position, BigInt(batch.lastOffset()) + 1n);
    this.notify();
    while (this.buffer.length >= this.limit && !this.stopped && isRunning()) {
      await Promise.race([this.changed(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
      await heartbeat();
    }
  }

  private advance(position: Position, next: bigint): void {
    if (next > position.next) position.next = next;
    if (position.next >= position.end) this.finish(position);
  }

  private finish(position: Position): void {
    if (position.done) return;
    position.done = true;
    this.remaining--;
    this.consumer.pause([{ topic: position.kafkaTopic, partitions: [position.partition] }]);
    this.notify();
  }

  private fail(error: unknown): void {
    this.failure ??= new BrokerError(`kafka replay: reading the history failed: ${(error as Error).message}`, {
      cause: error,
    });
    this.rejectFailed(this.failure);
    this.notify();
  }

  private changed(): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Leaves the group and deletes it (where the cluster allows; an empty group with no offsets expires anyway). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopped = true;
      this.notify();
      await this.consumer.disconnect().catch(() => undefined);
      await this.deps.admin.deleteGroups([this.groupId]).catch(() => undefined);
    })();
    return this.closing;
  }
}
