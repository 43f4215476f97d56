/**
 * Publishing with bounded batching. Records handed to `send` wait at most `lingerMs`
 * (or until `maxBatchMessages` are queued) and go out in one `sendBatch` with acks=all;
 * while a batch is in flight the next one accumulates, so throughput grows with load and
 * latency stays bounded without load. Records sent in reaction to a batch's answer join the
 * next batch without a linger: closed-loop publishers (publish, await, publish) would
 * otherwise leave the connection idle for `lingerMs` after every answer. One batch in
 * flight at a time is also what the idempotent producer needs to keep sequence numbers,
 * and so per-key order, intact.
 * Each caller's promise settles with the broker's answer for the batch its records went in.
 */
import { BrokerError } from '@tandem/core';
import type { Message, Producer, TopicMessages } from 'kafkajs';

export interface BatchingSettings {
  /** Longest a record waits for others to join its batch (ms). 0 joins only records sent in the same tick. */
  lingerMs: number;
  /** A batch goes out at once when this many records are queued. */
  maxBatchMessages: number;
}

export interface TopicRecord {
  topic: string;
  record: Message;
}

interface Pending {
  records: TopicRecord[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class BatchingProducer {
  private queue: Pending[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly producer: Producer,
    private readonly settings: BatchingSettings,
  ) {}

  send(records: TopicRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.queued += records.length;
      if (!this.inFlight) this.next(); // otherwise the batch in flight starts the next when it settles
    });
  }

  /** Resolves when every record handed over so far has been answered by the broker. */
  async drain(): Promise<void> {
    while (this.inFlight || this.queue.length > 0) {
      if (!this.inFlight) this.flush();
      await this.inFlight;
    }
  }

  private next(): void {
    if (this.queue.length === 0) return;
    if (this.queued >= this.settings.maxBatchMessages) return this.flush();
    if (this.settings.lingerMs > 0) this.timer ??= setTimeout(() => this.flush(), this.settings.lingerMs);
    else this.immediate ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.inFlight || this.queue.length === 0) return;
    // Whole calls only, so each caller is answered by exactly one batch.
    let take = 0;
    let count = 0;
    while (
      take < this.queue.length &&
      (take === 0 || count + this.queue[take]!.records.length <= this.settings.maxBatchMessages)
    ) {
      count += this.queue[take]!.records.length;
      take++;
    }
    const batch = this.queue.splice(0, take);
    this.queued -= count;
    const records = batch.length === 1 ? batch[0]!.records : batch.flatMap((p) => p.records);
    this.inFlight = this.producer.sendBatch({ topicMessages: groupByTopic(records), acks: -1 }).then(
      () => this.settle(() => batch.forEach((p) => p.resolve())),
      (error: unknown) => {
        const wrapped = publishError(records, error);
        this.settle(() => batch.forEach((p) => p.reject(wrapped)));
      },
    );
  }

  private settle(answer: () => void): void {
    this.inFlight = undefined;
    answer();
    // What queued up meanwhile has waited long enough.
    if (this.queue.length > 0) this.flush();
    // Callers answered just now often publish again at once; their records go out together on
    // the next turn of the event loop instead of waiting out a fresh linger.
    else this.immediate ??= setImmediate(() => this.flush());
  }
}

function groupByTopic(records: TopicRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, record } of records) {
    const list = byTopic.get(topic);
    if (list) list.push(record);
    else byTopic.set(topic, [record]);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function publishError(records: TopicRecord[], cause: unknown): BrokerError {
  const topics = [...new Set(records.map((r) => r.topic))].slice(0, 5).join(', ');
  const why = cause instanceof Error ? cause.message : String(cause);
  return new BrokerError(
    `kafka: the broker did not acknowledge ${records.length} record(s) for ${topics}: ${why}; check that the brokers are reachable and the topics exist (or enable topic auto-creation)`,
    { cause },
  );
}
