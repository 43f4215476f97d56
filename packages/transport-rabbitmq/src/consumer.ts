/**
 * One subscription: a consumer on the group's queue, on its own channel, with manual acks
 * and a prefetch bound. Deliveries run through core's keyed runner, so one key is handled
 * in order while different keys run concurrently, up to the subscription's concurrency.
 * The runtime's Disposition is carried out here: ack; retry or dead-letter by storing the
 * message in its next queue (settle.ts) and then acking. Each settle happens on the
 * channel the message came from (acks batched, see ack-batcher.ts); if that channel has
 * gone with its connection, the broker redelivers the message instead.
 *
 * A redelivered message may be the one that took an earlier consumer down: its run is
 * tracked in the run ledger (run-ledger.ts), which tells the runtime how many earlier runs
 * never ended (`deliveryCount`) so that a crash loop ends in the dead-letter queue.
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import {
  createKeyedRunner,
  type Disposition,
  type IncomingMessage,
  type KeyedRunner,
  type MessageHandler,
  type Subscription,
  type SubscriptionSpec,
} from '@tandem/core';
import { AckBatcher, type Delivery } from './ack-batcher.js';
import { decodeDelivery } from './codec.js';
import type { AmqpConnection } from './connection.js';
import type { ResolvedOptions } from './options.js';
import type { Publisher } from './publisher.js';
import { RunLedger } from './run-ledger.js';
import { DispositionStore, type Stored } from './settle.js';
import type { GroupTopology, Topology } from './topology.js';
import { Turns } from './turns.js';

/** How long a message whose retry could not be stored waits before it is requeued. */
const REQUEUE_PAUSE_MS = 1_000;
/** How long a redelivered message's run keeps the others waiting at most (see turns.ts). */
const TURN_MS = 30_000;
const NOTHING: Promise<undefined> = Promise.resolve(undefined);

interface Attached {
  channel: Channel;
  acks: AckBatcher;
  open: boolean;
  tag: string | undefined;
}

export class GroupConsumer implements Subscription {
  readonly ready: Promise<void>;
  private readonly runner: KeyedRunner;
  private readonly names: GroupTopology;
  private readonly ledger: RunLedger;
  private readonly turns = new Turns(TURN_MS);
  private readonly dispositions: DispositionStore;
  private current: Attached | undefined;
  private closing = false;
  /** Outcomes of handlers still running are ignored: a crash, or close() gave up on them. */
  private dead = false;
  private resolveReady!: () => void;
  private readonly attacher = (model: ChannelModel) => this.attach(model);

  constructor(
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
    publisher: Publisher,
    private readonly options: ResolvedOptions,
    private readonly spec: SubscriptionSpec,
    private readonly handle: MessageHandler,
  ) {
    this.runner = createKeyedRunner(spec.concurrency);
    this.names = topology.group(spec.group);
    this.ledger = new RunLedger(connection, options, spec.group);
    this.dispositions = new DispositionStore(connection, topology, publisher, options, spec.group);
    this.ready = new Promise<void>((resolve) => (this.resolveReady = resolve));
  }

  async start(): Promise<void> {
    try {
      await this.connection.addAttacher(this.attacher);
    } catch (error) {
      this.connection.removeAttacher(this.attacher);
      throw error;
    }
  }

  private async attach(model: ChannelModel): Promise<void> {
    if (this.closing) return;
    await this.topology.declareGroup(model, this.spec.group, this.spec.topics);
    const channel = await model.createChannel();
    const attached: Attached = {
      channel,
      acks: new AckBatcher(channel, this.options.prefetch),
      open: true,
      tag: undefined,
    };
    channel.on('error', (error: Error) =>
      this.options.log.warn({ err: error, group: this.spec.group }, 'rabbitmq consumer channel error'),
    );
    channel.on('close', () => {
      attached.open = false;
      attached.acks.discard();
      if (this.current !== attached) return;
      this.current = undefined;
      // Closed by a channel error or a cancel while the connection lives on: consume again.
      if (!this.closing && this.connection.current === model) this.reattachLater(model);
    });
    await channel.prefetch(this.options.prefetch);
    this.current = attached;
    const { consumerTag } = await channel.consume(this.names.queue, (delivery) => this.receive(attached, delivery), {
      noAck: false,
    });
    attached.tag = consumerTag;
    if (this.closing) {
      // close() ran while this was attaching: it found nothing to stop, so stop here.
      this.current = undefined;
      await channel.close().catch(() => undefined);
      return;
    }
    this.resolveReady();
  }

  private reattachLater(model: ChannelModel): void {
    setTimeout(() => {
      if (this.closing || this.connection.current !== model || this.current) return;
      this.attach(model).catch((error: unknown) => {
        this.options.log.warn(
          { err: error, group: this.spec.group },
          'rabbitmq: re-attaching a consumer failed; retrying',
        );
        this.reattachLater(model);
      });
    }, REQUEUE_PAUSE_MS).unref();
  }

  private receive(attached: Attached, delivery: ConsumeMessage | null): void {
    if (delivery === null) {
      // The broker cancelled the consumer (its queue was deleted): declare and consume again.
      this.options.log.warn(
        { group: this.spec.group, queue: this.names.queue },
        'rabbitmq cancelled the consumer; re-attaching',
      );
      void attached.channel.close().catch(() => undefined);
      return;
    }
    const entry = attached.acks.received(delivery);
    const message = decodeDelivery(delivery, this.options.names.exchange, this.names.queue);
    const key = message.key ?? `\u0000${delivery.fields.deliveryTag}`;
    this.runner.enqueueCallback(key, (finish) => this.process(attached, entry, message, finish), this.settleFailed);
  }

  /** process() settles every outcome itself; this is for a fault in that plumbing. */
  private readonly settleFailed = (error: unknown): void =>
    this.options.log.error({ err: error, group: this.spec.group }, 'rabbitmq: settling a message failed');

  /**
   * Runs the message and settles it, then calls `finish`. A first delivery goes through the
   * handler's callback form when it has one: no promise of its own and no reaction between
   * the handler settling and its ack.
   */
  private process(attached: Attached, entry: Delivery, message: IncomingMessage, finish: () => void): void {
    if (this.dead) return finish();
    if (this.closing) {
      // Prefetched but not started when close() began: back to the queue for another consumer.
      attached.acks.requeue(entry);
      return finish();
    }
    const deliver = this.handle.deliver;
    if (deliver !== undefined && !entry.message.fields.redelivered) {
      deliver(message, (disposition, error) =>
        this.settled(attached, entry, message, disposition ?? this.plumbingFault(error, message), finish),
      );
      return;
    }
    const disposition = entry.message.fields.redelivered
      ? this.runTracked(attached, entry, message)
      : this.run(attached, entry, message);
    disposition.then(
      (settled) => this.settled(attached, entry, message, settled, finish),
      (error: unknown) => this.settled(attached, entry, message, this.plumbingFault(error, message), finish),
    );
  }

  /** Carries out the disposition, then finishes the runner's task; never throws. */
  private settled(
    attached: Attached,
    entry: Delivery,
    message: IncomingMessage,
    disposition: Disposition | undefined,
    finish: () => void,
  ): void {
    let storing: Promise<void> | undefined;
    try {
      storing = this.settle(attached, entry, message, disposition);
    } catch (error) {
      this.settleFailed(error);
    }
    if (storing === undefined) return finish();
    storing.then(finish, (error: unknown) => {
      this.settleFailed(error);
      finish();
    });
  }

  private settle(
    attached: Attached,
    entry: Delivery,
    message: IncomingMessage,
    disposition: Disposition | undefined,
  ): Promise<void> | undefined {
    if (disposition === undefined || this.dead) return undefined;
    if (disposition.kind === 'ack') attached.acks.ack(entry);
    else return this.store(attached, entry, message, disposition);
    return undefined;
  }

  /** A redelivered message: it takes its turn, and its run is recorded before the handler starts. */
  private async runTracked(
    attached: Attached,
    entry: Delivery,
    message: IncomingMessage,
  ): Promise<Disposition | undefined> {
    const opened = this.ledger.open(message.id);
    return this.turns.take(
      opened.then((ledger) => ledger?.earlier ?? 0),
      async () => {
        const ledger = await opened;
        if (this.dead || this.closing) return this.run(attached, entry, message);
        const marked = ledger !== undefined && (await ledger.mark());
        const counted = marked ? { ...message, deliveryCount: ledger.earlier + 1 } : message;
        const disposition = await this.run(attached, entry, counted).catch((error: unknown) =>
          this.plumbingFault(error, counted),
        );
        // A run whose outcome is ignored did not end as far as the broker can tell: its marker stays.
        if (marked && !this.dead) await ledger.end();
        return disposition;
      },
    );
  }

  /**
   * The handler's disposition, or undefined when the message was handed back instead. It
   * rejects only on a fault of the handler plumbing (see plumbingFault), which the caller
   * turns into a retry.
   */
  private run(attached: Attached, entry: Delivery, message: IncomingMessage): Promise<Disposition | undefined> {
    if (this.dead) return NOTHING;
    if (this.closing) {
      // Still waiting for its turn when close() began.
      attached.acks.requeue(entry);
      return NOTHING;
    }
    try {
      return this.handle(message);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The runtime always answers with a disposition; a throw is a fault of the handler
   * plumbing itself, so the message is tried again after the shortest delay.
   */
  private plumbingFault(error: unknown, message: IncomingMessage): Disposition {
    this.options.log.error(
      { err: error, id: message.id },
      'rabbitmq: message handler threw instead of returning a disposition',
    );
    return { kind: 'retry', delayMs: 0, attempt: message.attempt };
  }

  /** Retry or dead-letter: the message is stored in its next queue (confirmed) before the ack. */
  private async store(
    attached: Attached,
    entry: Delivery,
    message: IncomingMessage,
    disposition: Stored,
  ): Promise<void> {
    // Its channel is gone: the broker redelivers the message, storing it too would duplicate it.
    if (!attached.open) return;
    try {
      await this.dispositions.store(message, disposition);
      attached.acks.ack(entry);
    } catch (error) {
      this.options.log.warn(
        { err: error, id: message.id, kind: disposition.kind },
        'rabbitmq: could not store the message for retry or dead-letter; it will be delivered again',
      );
      await new Promise((resolve) => setTimeout(resolve, REQUEUE_PAUSE_MS));
      attached.acks.requeue(entry);
    }
  }

  /**
   * Stops intake, lets started handlers finish (up to `closeTimeoutMs`) and settles them,
   * requeues the rest, closes the channel. Handlers still running at the bound are given
   * up on: their messages stay unacked, so closing the channel hands them back to RabbitMQ.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.connection.removeAttacher(this.attacher);
    const attached = this.current;
    const drained = await within(this.options.closeTimeoutMs, async () => {
      if (attached?.open && attached.tag !== undefined)
        await attached.channel.cancel(attached.tag).catch(() => undefined);
      await this.runner.idle();
    });
    this.current = undefined;
    attached?.acks.flush();
    if (!drained) {
      this.dead = true;
      attached?.acks.discard();
      this.options.log.warn(
        { group: this.spec.group, unsettled: this.runner.size, closeTimeoutMs: this.options.closeTimeoutMs },
        'rabbitmq: handlers still running when closeTimeoutMs passed; their messages are left unacked and RabbitMQ delivers them again',
      );
    }
    if (attached?.open) await attached.channel.close().catch(() => undefined);
    await this.ledger.close();
  }

  /** A crash: outcomes of handlers still running are ignored; the broker redelivers their messages. */
  kill(): void {
    this.dead = true;
    this.closing = true;
    this.current?.acks.discard();
    this.connection.removeAttacher(this.attacher);
  }
}

/** True when `work` finished within `ms`; false when the time ran out first (work goes on). */
async function within(ms: number, work: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work().then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
