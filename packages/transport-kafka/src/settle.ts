/**
 * One fetched record from its handler to a final disposition: handled (shared with other
 * deliveries, or alone in the process when the crash guard says so), its retry or
 * dead-letter record written, its offset marked done. A write that keeps failing for
 * `dispositionTimeoutMs` hands the message back instead of holding its runner slot.
 */
import type { Disposition, DispositionCallback, IncomingMessage, Logger, MessageHandler } from '@tandem/core';
import type { ConsumerHealth } from './consumer-health.js';
import type { CrashGuard } from './crash-guard.js';
import type { DispositionWriter, PersistOutcome } from './dispositions.js';
import type { ExclusiveLane } from './exclusive-lane.js';
import type { OffsetLedger, Slot } from './offset-ledger.js';
import type { ResolvedKafkaOptions } from './options.js';

/** What one group generation knows: which offsets are done, and which records go out one at a time. */
export interface Generation {
  ledger: OffsetLedger;
  guard: CrashGuard;
}

/** A fetched record on its way to a disposition, in the generation that fetched it. */
export interface Delivery {
  topic: string;
  partition: number;
  message: IncomingMessage;
  slot: Slot;
  generation: Generation;
  /** `${topic}\u0000${partition}`, made once per batch: the key of the partition's state. */
  partitionId: string;
}

export interface SettlerDeps {
  group: string;
  handle: MessageHandler;
  options: ResolvedKafkaOptions;
  writer: DispositionWriter;
  lane: ExclusiveLane;
  health: ConsumerHealth;
  log: Logger;
  /** True once the delivery's generation ended or the consumer closes: it is redelivered, not settled. */
  abandoned(generation: Generation): boolean;
  /** The delivery's disposition is final and in its ledger. */
  finished(delivery: Delivery, moved: boolean): void;
  /** Its retry or dead-letter write timed out: hand it to the handler again later. */
  handBack(delivery: Delivery): void;
  /** A shared delivery is about to end its runner task (its `done` follows at once). */
  ending(): void;
  /** The partition's records go out as usual again. */
  sharedAgain(topic: string, partition: number): void;
}

type Failed = Extract<PersistOutcome, { stopped: false }>;

export class Settler {
  constructor(private readonly deps: SettlerDeps) {}

  /**
   * Handles a delivery shared with others and carries out its disposition, then calls `done`
   * (also when it is abandoned or handed back instead); never throws. The common delivery
   * (its mark already covers it, the lane is open, the handler acks) goes through without a
   * promise of its own: the handler's callback form answers straight into the ledger.
   */
  shared(delivery: Delivery, done: () => void): void {
    const { generation } = delivery;
    if (this.deps.abandoned(generation)) return this.end(done);
    const waiting = generation.guard.beforeShared(
      delivery.topic,
      delivery.partition,
      delivery.slot.offset,
      delivery.partitionId,
    );
    if (waiting === undefined) return this.enterShared(delivery, done);
    this.marked(delivery, waiting).then(
      (covered) => (covered ? this.enterShared(delivery, done) : this.end(done)),
      (error: unknown) => this.settleFailed(delivery, error, done),
    );
  }

  private enterShared(delivery: Delivery, done: () => void): void {
    const entering = this.deps.lane.enterShared();
    if (entering === undefined) return this.handleShared(delivery, done);
    void entering.then(() => {
      if (!this.deps.abandoned(delivery.generation)) return this.handleShared(delivery, done);
      this.deps.lane.leaveShared();
      this.end(done);
    });
  }

  /** In the shared lane: runs the handler, leaves the lane once it answered, then settles. */
  private handleShared(delivery: Delivery, done: () => void): void {
    const { message } = delivery;
    message.deliveryCount = 1;
    let answered = false;
    const answer: DispositionCallback = (disposition, error) => {
      if (answered) return;
      answered = true;
      this.deps.lane.leaveShared();
      this.settleShared(delivery, disposition ?? this.threw(message, error), done);
    };
    const deliver = this.deps.handle.deliver;
    try {
      if (deliver !== undefined) deliver(message, answer);
      else this.deps.handle(message).then(answer, (error: unknown) => answer(undefined, error));
    } catch (error) {
      answer(undefined, error);
    }
  }

  private settleShared(delivery: Delivery, disposition: Disposition, done: () => void): void {
    if (disposition.kind !== 'ack') {
      this.persistShared(delivery, disposition).then(
        () => this.end(done),
        (error: unknown) => this.settleFailed(delivery, error, done),
      );
      return;
    }
    try {
      this.finishShared(delivery);
    } catch (error) {
      return this.settleFailed(delivery, error, done);
    }
    this.end(done);
  }

  /** A retry or dead letter of a shared delivery: written before its offset is done, or handed back. */
  private async persistShared(delivery: Delivery, disposition: Disposition): Promise<void> {
    const { message, generation } = delivery;
    const { writer, group, options } = this.deps;
    const stop = () => this.deps.abandoned(generation);
    const outcome = await writer.persist(group, message, disposition, stop, options.dispositionTimeoutMs);
    if (!outcome.written) {
      if (!outcome.stopped) {
        this.reportWriteFailure(outcome);
        this.deps.handBack(delivery);
      }
      return;
    }
    this.deps.health.clear('writes');
    this.finishShared(delivery);
  }

  private finishShared(delivery: Delivery): void {
    const { topic, partition, slot, generation } = delivery;
    this.deps.finished(delivery, generation.ledger.finish(topic, partition, slot));
  }

  /** A fault in the settling itself (not the handler's): logged, and the runner's task ends. */
  private settleFailed({ topic, partition }: Delivery, error: unknown, done: () => void): void {
    this.deps.log.error({ err: error, group: this.deps.group, topic, partition }, 'kafka: settling a message failed');
    this.end(done);
  }

  /** Every shared delivery ends here, once: the owner hears of it before the runner does. */
  private end(done: () => void): void {
    this.deps.ending();
    done();
  }

  /**
   * A delivery that runs alone in the process, with its start on record first (crash-guard.ts).
   * Its retry or dead-letter write holds the lane for at most `dispositionTimeoutMs`; after
   * that it goes on without the lane, and only its own partition waits for it.
   */
  async alone(delivery: Delivery): Promise<void> {
    const { message, generation } = delivery;
    const { lane, writer, group, options } = this.deps;
    if (this.deps.abandoned(generation)) return;
    const stop = () => this.deps.abandoned(generation);
    const leave = await lane.enterAlone();
    let unwritten: { disposition: Disposition; failed: Failed } | undefined;
    try {
      if (!(await this.recordStart(delivery))) return;
      const disposition = await this.handle(message);
      if (disposition.kind !== 'ack') {
        const outcome = await writer.persist(group, message, disposition, stop, options.dispositionTimeoutMs);
        if (!outcome.written && outcome.stopped) return;
        if (!outcome.written) unwritten = { disposition, failed: outcome };
      }
      if (!unwritten) return await this.finishAlone(delivery);
    } finally {
      leave();
    }
    this.reportWriteFailure(unwritten.failed);
    if ((await writer.persist(group, message, unwritten.disposition, stop)).written) await this.finishAlone(delivery);
  }

  /** Waits until the partition's mark covers this delivery (crash-guard.ts), `commit` first; false when abandoned. */
  private async marked({ topic, partition, slot, generation }: Delivery, commit: Promise<void>): Promise<boolean> {
    for (;;) {
      if (this.deps.abandoned(generation)) return false;
      await commit;
      if (this.deps.abandoned(generation)) return false;
      const next = generation.guard.beforeShared(topic, partition, slot.offset);
      if (!next) return true;
      commit = next;
    }
  }

  /** Commits the start of a lone delivery, trying until it is on record; false when abandoned. */
  private async recordStart({ topic, partition, message, slot, generation }: Delivery): Promise<boolean> {
    for (;;) {
      if (this.deps.abandoned(generation)) return false;
      try {
        message.deliveryCount = await generation.guard.startAlone(topic, partition, slot.offset);
        return true;
      } catch (error) {
        if (this.deps.abandoned(generation)) return false;
        this.deps.log.warn(
          { err: error, group: this.deps.group, topic, partition },
          'kafka: could not record the start of a lone delivery; trying again in 1 s',
        );
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async finishAlone(delivery: Delivery): Promise<void> {
    const { topic, partition, slot, generation } = delivery;
    this.deps.health.clear('writes');
    generation.ledger.finish(topic, partition, slot);
    if (await generation.guard.settledAlone(topic, partition, slot.offset)) this.deps.sharedAgain(topic, partition);
  }

  private async handle(message: IncomingMessage): Promise<Disposition> {
    try {
      return await this.deps.handle(message);
    } catch (error) {
      return this.threw(message, error);
    }
  }

  /** The runtime's handler returns a disposition; a throw is a bug there. Retrying loses nothing. */
  private threw(message: IncomingMessage, error: unknown): Disposition {
    this.deps.log.error(
      { err: error, group: this.deps.group, id: message.id },
      'kafka: the message handler threw instead of returning a disposition; retrying',
    );
    return { kind: 'retry', delayMs: this.deps.options.retryLevelsMs[0]!, attempt: message.attempt + 1 };
  }

  private reportWriteFailure({ error, topic }: Failed): void {
    const why = error instanceof Error ? error.message : String(error);
    const ms = this.deps.options.dispositionTimeoutMs;
    this.deps.health.set(
      'writes',
      `group ${this.deps.group}: could not write to ${topic} for ${ms} ms (${why}); its messages are not committed and go to the handler again`,
    );
    this.deps.log.error(
      { err: error, group: this.deps.group, topic, timeoutMs: ms },
      'kafka: a retry or dead-letter write kept failing; the message is handed back and handled again later',
    );
  }
}
