/**
 * One subscription: one kafkajs consumer for one consumer group, reading the group's
 * event topics and its retry topics.
 *
 * - Records are handed to a keyed runner (order per partition and key, at most
 *   `concurrency` handlers across keys) as soon as they are fetched; the fetch position
 *   moves on, but an offset is committed only when its disposition is final and every
 *   earlier offset of its partition is too (see offset-ledger.ts). Nothing auto-commits.
 * - Back-pressure: past `maxBufferedMessages` unfinished records, a partition that
 *   delivers a batch is paused, and resumed once the backlog halves (partition-gate.ts).
 * - A retry record that is not due yet pauses its retry partition until it is; other
 *   partitions, and the event topics, keep flowing.
 * - A rebalance starts a new offset ledger: queued work of the old generation is dropped,
 *   work in flight finishes but is never committed; it is redelivered from the last commit.
 * - A consumer kafkajs gives up on (a non-retriable error) is replaced by a fresh one.
 * - close(): stop intake, let handlers in flight finish and settle, commit, leave the group.
 */
import {
  createKeyedRunner,
  type Disposition,
  type IncomingMessage,
  type KeyedRunner,
  type Logger,
  type MessageHandler,
  type Subscription,
} from '@tandem/core';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { decodeRecord } from './codec.js';
import { Committer } from './committer.js';
import { isRebalancing } from './kafka-errors.js';
import type { DispositionWriter } from './dispositions.js';
import { OffsetLedger, type Slot } from './offset-ledger.js';
import { PartitionGate } from './partition-gate.js';
import type { ResolvedKafkaOptions } from './options.js';

export interface GroupConsumerSpec {
  group: string;
  /** Kafka topic -> Tandem topic, for the event topics. */
  eventTopics: ReadonlyMap<string, string>;
  retryTopics: readonly string[];
  concurrency: number;
}

export interface GroupConsumerDeps {
  kafka: Kafka;
  options: ResolvedKafkaOptions;
  writer: DispositionWriter;
  log: Logger;
}

export class GroupConsumer implements Subscription {
  readonly ready: Promise<void>;
  private consumer: Consumer;
  private gate!: PartitionGate;
  private readonly runner: KeyedRunner;
  private ledger = new OffsetLedger();
  private closing = false;
  /** A commit was refused because the group is rebalancing: take no new work until we rejoin. */
  private rejoining = false;
  private closed: Promise<void> | undefined;
  private readonly committer: Committer;
  private restartTimer: NodeJS.Timeout | undefined;
  private hasJoined = false;
  /** Why the consumer is not consuming (crashed, being replaced); undefined when it is. */
  down: string | undefined;
  private restarts = 0;
  private joined!: () => void;
  private failed!: (error: unknown) => void;

  constructor(
    private readonly spec: GroupConsumerSpec,
    private readonly handle: MessageHandler,
    private readonly deps: GroupConsumerDeps,
  ) {
    this.runner = createKeyedRunner(spec.concurrency);
    this.ready = new Promise<void>((resolve, reject) => {
      this.joined = resolve;
      this.failed = reject;
    });
    this.ready.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
    this.consumer = this.createConsumer();
    this.committer = new Committer({
      send: (entries) => this.consumer.commitOffsets(entries),
      ledger: () => this.ledger,
      intervalMs: deps.options.commitIntervalMs,
      log: deps.log,
      refused: (error) => {
        if (this.closing) return;
        if (!isRebalancing(error)) return this.committer.schedule();
        // This generation is over: what it has not committed is redelivered after the
        // rejoin, so handling more of it now would only make duplicates.
        this.rejoining = true;
        this.newGeneration();
      },
    });
  }

  private createConsumer(): Consumer {
    const o = this.deps.options;
    const consumer = this.deps.kafka.consumer({
      groupId: this.spec.group,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      maxWaitTimeInMs: o.maxWaitTimeMs,
      allowAutoTopicCreation: true,
    });
    this.gate?.close();
    this.gate = new PartitionGate(consumer);
    const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
    consumer.on(REBALANCING, () => this.newGeneration());
    consumer.on(GROUP_JOIN, (event) => {
      this.newGeneration();
      this.rejoining = false;
      this.gate.relieve();
      this.hasJoined = true;
      this.restarts = 0;
      this.down = undefined;
      this.deps.log.debug(
        { group: this.spec.group, assignment: event.payload.memberAssignment },
        'kafka consumer joined its group',
      );
      this.joined();
    });
    consumer.on(CRASH, (event) => this.onCrash(event.payload.error, event.payload.restart));
    return consumer;
  }

  async start(): Promise<void> {
    const consumer = this.consumer;
    await consumer.connect();
    await consumer.subscribe({
      topics: [...this.spec.eventTopics.keys(), ...this.spec.retryTopics],
      fromBeginning: this.deps.options.fromBeginning,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.deps.options.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * kafkajs restarts a crashed consumer itself only after retriable errors; after any other
   * (say an INVALID_REQUEST answer) it stays down. A subscription must not die quietly, so
   * it starts a fresh consumer with backoff; before the first join, three crashes in a row
   * fail `ready` instead, so a misconfiguration surfaces at start.
   */
  private onCrash(error: unknown, kafkajsRestarts: boolean): void {
    this.newGeneration();
    const log = this.deps.log;
    if (this.closing) return;
    if (kafkajsRestarts)
      return log.warn({ err: error, group: this.spec.group }, 'kafka consumer crashed; kafkajs restarts it');
    this.restarts++;
    this.down = `group ${this.spec.group}: consumer crashed (${(error as Error).message}); restarting`;
    if (!this.hasJoined && this.restarts >= 3) {
      log.error(
        { err: error, group: this.spec.group },
        'kafka consumer crashed three times before joining its group; giving up',
      );
      return this.failed(error);
    }
    const delay = Math.min(500 * 2 ** (this.restarts - 1), 30_000);
    log.error(
      { err: error, group: this.spec.group, delayMs: delay },
      'kafka consumer stopped after a non-retriable error; starting a new one',
    );
    this.restartTimer = setTimeout(() => {
      if (this.closing) return;
      this.consumer = this.createConsumer();
      this.start().catch((startError: unknown) => this.onCrash(startError, false));
    }, delay);
  }

  private newGeneration(): void {
    this.ledger = new OffsetLedger();
  }

  private async onBatch({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const ledger = this.ledger;
    const tandemTopic = this.spec.eventTopics.get(topic) ?? topic;
    let last: string | undefined;
    try {
      if (this.rejoining) {
        // Unresolved records would be fetched again at once: keep the partition still until the rejoin.
        this.gate.pressure(topic, partition);
        return;
      }
      for (const record of batch.messages) {
        if (this.closing || !isRunning() || isStale()) return;
        const { message, due } = decodeRecord(record, { tandemTopic, partition });
        if (due !== undefined && due > Date.now()) {
          // Not resolved, so the fetch resumes at this record once it is due.
          this.gate.holdUntil(topic, partition, due);
          return;
        }
        this.dispatch(topic, partition, message, ledger, ledger.track(topic, partition, record.offset));
        last = record.offset;
      }
    } finally {
      // Moves the fetch position only; commits follow the ledger.
      if (last !== undefined) resolveOffset(last);
    }
    if (this.runner.size >= this.deps.options.maxBufferedMessages) this.gate.pressure(topic, partition);
  }

  private dispatch(topic: string, partition: number, message: IncomingMessage, ledger: OffsetLedger, slot: Slot): void {
    const orderKey = `${topic}\u0000${partition}\u0000${message.key ?? ''}`;
    this.runner
      .run(orderKey, () => this.settle(topic, partition, message, ledger, slot))
      .then(undefined, (error: unknown) => {
        this.deps.log.error(
          { err: error, group: this.spec.group, topic, partition },
          'kafka: settling a message failed',
        );
      });
  }

  private async settle(
    topic: string,
    partition: number,
    message: IncomingMessage,
    ledger: OffsetLedger,
    slot: Slot,
  ): Promise<void> {
    try {
      // Abandoned: the partition may be another member's now, or we are closing; redelivered from the last commit.
      if (ledger !== this.ledger || this.closing) return;
      let disposition: Disposition;
      try {
        disposition = await this.handle(message);
      } catch (error) {
        disposition = this.handlerThrew(message, error);
      }
      if (disposition.kind !== 'ack') {
        const givenUp = () => this.closing || ledger !== this.ledger;
        if (!(await this.deps.writer.persist(this.spec.group, message, disposition, givenUp))) return;
      }
      if (ledger.finish(topic, partition, slot) && ledger === this.ledger) this.committer.schedule();
    } finally {
      if (
        this.gate.underPressure &&
        !this.closing &&
        !this.rejoining &&
        this.runner.size <= this.deps.options.maxBufferedMessages / 2
      )
        this.gate.relieve();
    }
  }

  /** The runtime's handler returns a disposition; a throw is a bug there. Retrying loses nothing. */
  private handlerThrew(message: IncomingMessage, error: unknown): Disposition {
    this.deps.log.error(
      { err: error, group: this.spec.group, id: message.id },
      'kafka: the message handler threw instead of returning a disposition; retrying',
    );
    return { kind: 'retry', delayMs: this.deps.options.retryLevelsMs[0]!, attempt: message.attempt + 1 };
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      clearTimeout(this.restartTimer);
      this.gate.close();
      const topics = [...this.spec.eventTopics.keys(), ...this.spec.retryTopics];
      try {
        this.consumer.pause(topics.map((topic) => ({ topic })));
      } catch {
        // Not running (start failed): nothing to pause.
      }
      await this.runner.idle();
      this.committer.cancel();
      await this.committer.flush();
      await this.consumer.disconnect();
      this.failed(new Error('subscription closed before the consumer joined its group'));
    })();
    return this.closed;
  }
}
