/**
 * How a subscription hands fetched records to its handler and settles them.
 *
 * - Records go to a keyed runner (order per partition and key, at most `concurrency`
 *   handlers across keys) as soon as they are fetched; the fetch position moves on, but an
 *   offset is committed only when its disposition is final and every earlier offset of its
 *   partition is too (offset-ledger.ts). Nothing auto-commits.
 * - Back-pressure: past `maxBufferedMessages` unfinished records, the batch that brought the
 *   last of them waits in eachBatch until the backlog halves (intake-bound.ts).
 * - A retry record that is not due yet pauses its retry partition until it is; other
 *   partitions, and the event topics, keep flowing.
 * - The crash guard (crash-guard.ts) decides per batch whether its records go out as usual
 *   or one at a time, each alone in the process, and gives each its delivery count.
 * - A retry or dead-letter write that keeps failing for `dispositionTimeoutMs` gives the
 *   message back: its offset stays uncommitted, its runner slot is freed, and it goes to the
 *   handler again after that long; health says so until a write succeeds.
 */
import { createKeyedRunner, type KeyedRunner, type Logger, type MessageHandler } from '@tandem/core';
import type { EachBatchPayload } from 'kafkajs';
import { Committer } from './committer.js';
import type { ConsumerHealth } from './consumer-health.js';
import { CrashGuard, partitionId as partitionIdOf, type BatchPlan, type CommittedOffset } from './crash-guard.js';
import type { DispositionWriter } from './dispositions.js';
import type { ExclusiveLane } from './exclusive-lane.js';
import { readyRecords } from './fetched-batch.js';
import { IntakeBound } from './intake-bound.js';
import { OffsetLedger, type CommitEntry } from './offset-ledger.js';
import { OrderKeys } from './order-keys.js';
import type { ResolvedKafkaOptions } from './options.js';
import type { PartitionGate } from './partition-gate.js';
import { Settler, type Delivery, type Generation } from './settle.js';

export interface DeliveriesDeps {
  group: string;
  /** Kafka topic -> Tandem topic, for the event topics. */
  eventTopics: ReadonlyMap<string, string>;
  concurrency: number;
  handle: MessageHandler;
  options: ResolvedKafkaOptions;
  writer: DispositionWriter;
  lane: ExclusiveLane;
  /** This transport instance's id, for the crash guard's marks. */
  instance: string;
  health: ConsumerHealth;
  log: Logger;
  /** The current kafkajs consumer's gate (the consumer may be replaced). */
  gate(): PartitionGate;
  commit(entries: CommitEntry[]): Promise<void>;
  readCommitted(): Promise<CommittedOffset[]>;
  /** The broker refused a commit of the current generation. */
  refused(error: unknown): void;
}

/**
 * How far past its furthest started handler a member's mark reaches: the most records a
 * crash makes the next member hand out one at a time beyond those started, and about how
 * many handlers may start between two ordinary commits before the mark needs a commit of
 * its own.
 */
const CRASH_GUARD_SLACK = 100;

/** Longest a batch held back by the intake bound goes without looking whether its consumer stopped. */
const MAX_HOLD_TICK_MS = 250;

export class Deliveries {
  /** A commit was refused because the group is rebalancing: take no new work until the consumer rejoins. */
  rejoining = false;
  private closing = false;
  private readonly runner: KeyedRunner;
  private readonly committer: Committer;
  private readonly settler: Settler;
  private generation: Generation;
  private readonly handedBack = new Set<NodeJS.Timeout>();
  private readonly intake: IntakeBound;
  private readonly orderKeys = new OrderKeys();

  constructor(private readonly deps: DeliveriesDeps) {
    this.runner = createKeyedRunner(deps.concurrency);
    this.intake = new IntakeBound({
      max: deps.options.maxBufferedMessages,
      buffered: () => this.buffered,
      tickMs: Math.min(deps.options.heartbeatIntervalMs, MAX_HOLD_TICK_MS),
    });
    this.committer = new Committer({
      send: (entries) => deps.commit(entries),
      ledger: () => this.generation.ledger,
      pending: () => {
        const { ledger, guard } = this.generation;
        return ledger
          .pendingCommits()
          .filter((e) => !guard.isolating(e.topic, e.partition))
          .map((e) => ({ ...e, metadata: guard.metadataFor(e.topic, e.partition) }));
      },
      intervalMs: deps.options.commitIntervalMs,
      refused: (error) => deps.refused(error),
      accepted: (ledger, entries) => {
        if (ledger === this.generation.ledger) this.generation.guard.committed(entries);
      },
      log: deps.log,
    });
    this.settler = new Settler({
      ...deps,
      abandoned: (generation) => this.abandoned(generation),
      finished: ({ generation }, moved) => {
        if (moved && generation === this.generation) this.committer.schedule();
      },
      handBack: (delivery) => this.handBack(delivery),
      // Its own task, which the runner still counts, is as good as finished.
      ending: () => this.intake.relieve(1),
      sharedAgain: (topic, partition) => {
        deps.log.info({ group: deps.group, topic, partition }, 'kafka: partition handled as usual again');
        deps.gate().unhold(topic, partition);
      },
    });
    this.generation = this.createGeneration();
  }

  private createGeneration(): Generation {
    const ledger = new OffsetLedger();
    const guard = new CrashGuard({
      instance: this.deps.instance,
      slack: CRASH_GUARD_SLACK,
      read: () => this.deps.readCommitted(),
      unread: (error) =>
        this.deps.log.error(
          { err: error, group: this.deps.group },
          "kafka: could not read the group's committed offsets; crash loops are not counted until the next rebalance",
        ),
      position: (topic, partition) => ledger.position(topic, partition),
      commit: (entries) => this.committer.commit(entries, ledger),
    });
    return { ledger, guard };
  }

  /**
   * Starts a new generation: nothing of the old one is committed any more. On a rebalance
   * the member is alive and, until the group has formed its next generation, the broker still
   * takes its commits: it commits what it has done, unmarked, so the next owner has nothing to
   * single out. Sent at once, before kafkajs rejoins: a commit sent after the rejoin would
   * carry the new generation and could move a partition that is another member's now.
   */
  newGeneration(rebalance = false): void {
    const { ledger, guard } = this.generation;
    this.generation = this.createGeneration();
    this.orderKeys.clear();
    // A batch held back belongs to the old generation: kafkajs must get it back to rejoin or stop.
    this.intake.release();
    // Held for the old generation's lone records, which will never settle in it.
    this.deps.gate().unholdAll();
    if (!rebalance) return;
    const clean = guard.clean(ledger.positions());
    if (clean.length === 0) return;
    this.deps.commit(clean).catch((error: unknown) => {
      this.deps.log.debug({ err: error, group: this.deps.group }, 'kafka: last commit before a rebalance refused');
    });
  }

  scheduleCommit(): void {
    this.committer.schedule();
  }

  /** Messages taken from Kafka and not finished: queued, running, or handed back. */
  private get buffered(): number {
    return this.runner.size + this.handedBack.size;
  }

  private abandoned(generation: Generation): boolean {
    // The partition may be another member's now, or we are closing: redelivered from the last commit.
    return generation !== this.generation || this.closing;
  }

  async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    if (this.rejoining) {
      // Unresolved records would be fetched again at once: keep the partition still until the rejoin.
      this.deps.gate().pauseUntilRejoin(topic, partition);
      return;
    }
    const generation = this.generation;
    // A subscription reads its event topics and its group's retry topics: any other is a retry topic.
    const eventTopic = this.deps.eventTopics.get(topic);
    const source = { tandemTopic: eventTopic ?? topic, partition, retryTopic: eventTopic === undefined };
    const { messages, offsets, due } = readyRecords(batch.messages, source);
    if (offsets.length > 0) {
      let plan: BatchPlan;
      // Everything the batch covers (control records included) unless a record waits for its due time.
      const through = due === undefined ? batch.lastOffset() : offsets.at(-1)!;
      try {
        plan = await generation.guard.plan(topic, partition, offsets, through);
      } catch (error) {
        if (this.abandoned(generation)) return;
        this.deps.log.warn(
          { err: error, group: this.deps.group, topic, partition },
          "kafka: could not read the group's committed offsets; fetching this batch again in 1 s",
        );
        this.deps.gate().holdUntil(topic, partition, Date.now() + 1_000);
        return;
      }
      if (this.abandoned(generation) || this.rejoining || !isRunning() || isStale()) return;
      if (plan.alone > 0 && offsets[0] === generation.guard.firstAlone(topic, partition))
        this.deps.log.warn(
          { group: this.deps.group, topic, partition, from: offsets[0] },
          'kafka: the process that last handled this partition stopped with records in flight; handing them out one at a time',
        );
      const going = plan.alone + plan.shared;
      const tracker = generation.ledger.tracker(topic, partition);
      const partitionId = partitionIdOf(topic, partition);
      for (let i = 0; i < going; i++) {
        const slot = tracker.track(offsets[i]!);
        this.run({ topic, partition, message: messages[i]!, slot, generation, partitionId }, i < plan.alone);
      }
      // Moves the fetch position only; commits follow the ledger.
      if (going > 0) resolveOffset(offsets[going - 1]!);
      if (going < offsets.length) {
        // Not resolved: fetched again once the records before them have gone out one at a time.
        if (generation.guard.isolating(topic, partition)) this.deps.gate().hold(topic, partition);
        return;
      }
    }
    // Not resolved, so the fetch resumes at this record once it is due.
    if (due !== undefined) this.deps.gate().holdUntil(topic, partition, due);
    if (this.intake.full) await this.intake.hold(payload, () => this.abandoned(generation) || this.rejoining);
  }

  private run(delivery: Delivery, alone: boolean): void {
    // One at a time means one queue for the partition, whatever the keys.
    if (alone) {
      this.runner.enqueue(delivery.partitionId, () => this.settleAlone(delivery), this.settleFailed);
      return;
    }
    const orderKey = this.orderKeys.of(delivery.partitionId, delivery.message.key);
    this.runner.enqueueCallback(orderKey, (finish) => this.settler.shared(delivery, finish), this.settleFailed);
  }

  private async settleAlone(delivery: Delivery): Promise<void> {
    await this.settler.alone(delivery);
    this.intake.relieve(1);
  }

  /** A throw out of the settling plumbing itself (the settler reports its own faults); the runner ends the task. */
  private readonly settleFailed = (error: unknown): void => {
    this.deps.log.error({ err: error, group: this.deps.group }, 'kafka: settling a message failed');
    this.intake.relieve(1);
  };

  /** Not committed, so a rebalance or restart redelivers it too; meanwhile it goes to the handler again later. */
  private handBack(delivery: Delivery): void {
    const timer = setTimeout(() => {
      this.handedBack.delete(timer);
      if (!this.abandoned(delivery.generation)) this.run(delivery, false);
      else this.intake.relieve();
    }, this.deps.options.dispositionTimeoutMs);
    this.handedBack.add(timer);
  }

  /**
   * Stops taking work, waits for handlers in flight (at most `timeoutMs`), and commits what
   * was settled. A handler still running after that keeps its offset, and every later one of
   * its partition, uncommitted: they are redelivered to the group.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.intake.release();
    for (const timer of this.handedBack) clearTimeout(timer);
    this.handedBack.clear();
    let timer: NodeJS.Timeout | undefined;
    const idle = await Promise.race([
      this.runner.idle().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.committer.stop();
    if (idle) {
      const { ledger, guard } = this.generation;
      const clean = guard.clean(ledger.positions());
      if (clean.length > 0) await this.committer.commitFinal(clean);
      return;
    }
    this.deps.log.warn(
      { group: this.deps.group, running: this.runner.size, timeoutMs },
      'kafka: handlers still running at closeTimeoutMs; closing without them (their messages are redelivered)',
    );
    // Marked: the next member singles out what this one left running.
    await this.committer.flush();
  }
}
