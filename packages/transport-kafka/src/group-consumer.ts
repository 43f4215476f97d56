/**
 * One subscription: one kafkajs consumer for one consumer group, reading the group's
 * event topics and its retry topics. How fetched records are handled and committed is in
 * deliveries.ts; this file keeps the consumer itself running:
 *
 * - A rebalance starts a new generation (offset ledger and crash guard): queued work of the
 *   old one is dropped, work in flight finishes but is never committed; it is redelivered
 *   from the last commit.
 * - A commit refused because the group is rebalancing ends the generation too; the consumer
 *   then takes no work until it has rejoined. kafkajs rejoins only when a heartbeat or fetch
 *   says so, so if no rejoin has started within two heartbeats the consumer is replaced,
 *   which rejoins the group.
 * - A consumer kafkajs gives up on (a non-retriable error) is replaced by a fresh one; one it
 *   restarts itself (after a retriable error) is left to it.
 * - A replaced consumer is retired (member.ts): it leaves the group and never comes back,
 *   whatever kafkajs was doing with it.
 * - Health says not ready from a crash or a refused commit until the current consumer has
 *   joined the group again.
 * - close(): stop intake, let handlers in flight finish and settle (at most `closeTimeoutMs`),
 *   commit what was settled, leave the group.
 */
import type { Logger, MessageHandler, Subscription } from '@tandem/core';
import type { Admin, Kafka } from 'kafkajs';
import { ConsumerHealth } from './consumer-health.js';
import { Deliveries } from './deliveries.js';
import type { DispositionWriter } from './dispositions.js';
import type { ExclusiveLane } from './exclusive-lane.js';
import { isRebalancing } from './kafka-errors.js';
import { Member } from './member.js';
import type { ResolvedKafkaOptions } from './options.js';
import { PartitionGate } from './partition-gate.js';

export interface GroupConsumerSpec {
  group: string;
  /** Kafka topic -> Tandem topic, for the event topics. */
  eventTopics: ReadonlyMap<string, string>;
  retryTopics: readonly string[];
  concurrency: number;
}

export interface GroupConsumerDeps {
  kafka: Kafka;
  admin: () => Admin;
  options: ResolvedKafkaOptions;
  writer: DispositionWriter;
  /** Shared by the transport's subscriptions: deliveries that must run alone in the process. */
  lane: ExclusiveLane;
  /** A random id of this transport instance (crash-guard.ts). */
  instance: string;
  log: Logger;
}

/**
 * Longest a retired consumer is waited for before its successor starts or close() returns:
 * leaving takes far less on a reachable broker, and one still connecting or joining then
 * leaves once its start ends (member.ts), with nothing of it handled meanwhile.
 */
const LEAVE_PATIENCE_MS = 5_000;

export class GroupConsumer implements Subscription {
  readonly ready: Promise<void>;
  private member: Member;
  private gate!: PartitionGate;
  private readonly deliveries: Deliveries;
  private readonly health = new ConsumerHealth();
  private closing = false;
  private closed: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private rejoinTimer: NodeJS.Timeout | undefined;
  private hasJoined = false;
  private restarts = 0;
  private joined!: () => void;
  private failed!: (error: unknown) => void;

  constructor(
    private readonly spec: GroupConsumerSpec,
    handle: MessageHandler,
    private readonly deps: GroupConsumerDeps,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.joined = resolve;
      this.failed = reject;
    });
    this.ready.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
    const topics = this.topics();
    this.deliveries = new Deliveries({
      group: spec.group,
      eventTopics: spec.eventTopics,
      concurrency: spec.concurrency,
      handle,
      options: deps.options,
      writer: deps.writer,
      lane: deps.lane,
      instance: deps.instance,
      health: this.health,
      log: deps.log,
      gate: () => this.gate,
      commit: (entries) => this.member.consumer.commitOffsets(entries),
      readCommitted: async () =>
        (await deps.admin().fetchOffsets({ groupId: spec.group, topics })).flatMap(({ topic, partitions }) =>
          partitions.map((p) => ({ topic, partition: p.partition, offset: p.offset, metadata: p.metadata })),
        ),
      refused: (error) => this.commitRefused(error),
    });
    this.member = this.createMember();
  }

  get down(): string | undefined {
    return this.health.down;
  }

  private topics(): string[] {
    return [...this.spec.eventTopics.keys(), ...this.spec.retryTopics];
  }

  private createMember(): Member {
    const o = this.deps.options;
    const member = new Member(this.deps.kafka, {
      groupId: this.spec.group,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      maxWaitTimeInMs: o.maxWaitTimeMs,
      allowAutoTopicCreation: true,
    });
    const consumer = member.consumer;
    this.gate?.close();
    this.gate = new PartitionGate(consumer);
    const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
    const current = () => member === this.member;
    consumer.on(REBALANCING, () => {
      if (!current()) return;
      clearTimeout(this.rejoinTimer); // kafkajs is rejoining
      this.deliveries.newGeneration(true);
    });
    consumer.on(GROUP_JOIN, (event) => {
      if (!current()) return;
      clearTimeout(this.rejoinTimer);
      this.deliveries.newGeneration();
      this.deliveries.rejoining = false;
      this.gate.rejoined();
      this.hasJoined = true;
      this.restarts = 0;
      this.health.clear('consumer');
      this.deps.log.debug(
        { group: this.spec.group, assignment: event.payload.memberAssignment },
        'kafka consumer joined its group',
      );
      this.joined();
    });
    consumer.on(CRASH, (event) => {
      if (current()) this.onCrash(event.payload.error, event.payload.restart);
    });
    return member;
  }

  async start(): Promise<void> {
    const member = this.member;
    await member.start(this.topics(), this.deps.options.fromBeginning, {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.deps.options.partitionsConsumedConcurrently,
      // A replaced consumer may still deliver a batch while it leaves: it is not handled.
      eachBatch: async (payload) => (member === this.member ? this.deliveries.onBatch(payload) : undefined),
    });
  }

  /**
   * A commit refused because the group is rebalancing ends this generation: what it has not
   * committed is redelivered after the rejoin, so handling more of it now would only make
   * duplicates. Any other refusal is tried again at the next commit.
   */
  private commitRefused(error: unknown): void {
    if (this.closing) return;
    if (!isRebalancing(error)) return this.deliveries.scheduleCommit();
    if (this.deliveries.rejoining) return;
    this.deliveries.rejoining = true;
    this.deliveries.newGeneration();
    const why = (error as Error).message;
    this.health.set(
      'consumer',
      `group ${this.spec.group}: offset commit refused (${why}); waiting to rejoin the group`,
    );
    const o = this.deps.options;
    const waitMs = 2 * o.heartbeatIntervalMs + o.maxWaitTimeMs;
    this.deps.log.warn(
      { err: error, group: this.spec.group, waitMs },
      'kafka: offset commit refused because the group is rebalancing; pausing until the consumer rejoins',
    );
    clearTimeout(this.rejoinTimer);
    this.rejoinTimer = setTimeout(() => {
      if (this.closing || !this.deliveries.rejoining) return;
      this.deps.log.warn(
        { group: this.spec.group, waitMs },
        'kafka: no rejoin started after a refused commit; replacing the consumer to rejoin the group',
      );
      this.replaceConsumer();
    }, waitMs);
  }

  /**
   * kafkajs restarts a crashed consumer itself only after retriable errors; after any other
   * (say an INVALID_REQUEST answer) it stays down. A subscription must not die quietly, so
   * it starts a fresh consumer with backoff; before the first join, three crashes in a row
   * fail `ready` instead, so a misconfiguration surfaces at start.
   */
  private onCrash(error: unknown, kafkajsRestarts: boolean): void {
    this.deliveries.newGeneration();
    const log = this.deps.log;
    if (this.closing) return;
    this.health.set('consumer', `group ${this.spec.group}: consumer crashed (${(error as Error).message}); restarting`);
    if (kafkajsRestarts)
      return log.warn({ err: error, group: this.spec.group }, 'kafka consumer crashed; kafkajs restarts it');
    this.restarts++;
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
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => this.replaceConsumer(), delay);
  }

  /** A new kafkajs consumer (a new group member), started once the old one has left (or after LEAVE_PATIENCE_MS). */
  private replaceConsumer(): void {
    if (this.closing) return;
    const old = this.member;
    this.member = this.createMember();
    void within(old.retire(), LEAVE_PATIENCE_MS)
      .then(() => (this.closing ? undefined : this.start()))
      .catch((startError: unknown) => this.onCrash(startError, false));
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      clearTimeout(this.restartTimer);
      clearTimeout(this.rejoinTimer);
      this.gate.close();
      try {
        this.member.consumer.pause(this.topics().map((topic) => ({ topic })));
      } catch {
        // Not running (start failed): nothing to pause.
      }
      await this.deliveries.close(this.deps.options.closeTimeoutMs);
      if (!(await within(this.member.retire(), LEAVE_PATIENCE_MS)))
        this.deps.log.warn(
          { group: this.spec.group, waitedMs: LEAVE_PATIENCE_MS },
          'kafka: the consumer is still connecting or joining its group; it leaves once that ends',
        );
      this.failed(new Error('subscription closed before the consumer joined its group'));
    })();
    return this.closed;
  }
}

/** True when `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}
