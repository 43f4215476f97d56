/**
 * One subscription: a consumer on the group's queue, on its own channel, with manual acks
 * and a prefetch bound. Deliveries run through core's keyed runner, so one key is handled
 * in order while different keys run concurrently, up to the subscription's concurrency.
 * The runtime's Disposition is carried out here: ack; retry by publishing to the group's
 * delay queue (with the attempt in the headers) and then acking; dead-letter by publishing
 * to the group's dead-letter queue (with reason, error, attempts, origin, time) and then
 * acking. Each settle happens on the channel the message came from (acks batched, see
 * ack-batcher.ts); if that channel has gone with its connection, the broker redelivers
 * the message instead.
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import {
  createKeyedRunner,
  deadLetterHeaders,
  Header,
  type Disposition,
  type IncomingMessage,
  type KeyedRunner,
  type MessageHandler,
  type Subscription,
  type SubscriptionSpec,
} from '@tandem/core';
import { AckBatcher } from './ack-batcher.js';
import { decodeDelivery, encodeMessage } from './codec.js';
import type { AmqpConnection } from './connection.js';
import type { ResolvedOptions } from './options.js';
import type { Publisher } from './publisher.js';
import type { GroupTopology, Topology } from './topology.js';

/** How long a message whose retry could not be stored waits before it is requeued. */
const REQUEUE_PAUSE_MS = 1_000;

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
  private current: Attached | undefined;
  private closing = false;
  private dead = false;
  private resolveReady!: () => void;
  private readonly attacher = (model: ChannelModel) => this.attach(model);

  constructor(
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
    private readonly publisher: Publisher,
    private readonly options: ResolvedOptions,
    private readonly spec: SubscriptionSpec,
    private readonly handle: MessageHandler,
  ) {
    this.runner = createKeyedRunner(spec.concurrency);
    this.names = topology.group(spec.group);
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
    const attached: Attached = { channel, acks: new AckBatcher(channel), open: true, tag: undefined };
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
    attached.acks.received(delivery);
    const message = decodeDelivery(delivery, this.options.names.exchange, this.names.queue);
    const key = message.key ?? `\u0000${delivery.fields.deliveryTag}`;
    this.runner
      .run(key, () => this.process(attached, delivery, message))
      .catch((error: unknown) => {
        this.options.log.error(
          { err: error, id: message.id, group: this.spec.group },
          'rabbitmq: settling a message failed',
        );
      });
  }

  private async process(attached: Attached, delivery: ConsumeMessage, message: IncomingMessage): Promise<void> {
    if (this.dead) return;
    if (this.closing) {
      // Prefetched but not started when close() began: back to the queue for another consumer.
      attached.acks.requeue(delivery);
      return;
    }
    let disposition: Disposition;
    try {
      disposition = await this.handle(message);
    } catch (error) {
      // The runtime always answers with a disposition; a throw is a fault of the handler
      // plumbing itself, so the message is tried again after the shortest delay.
      this.options.log.error(
        { err: error, id: message.id },
        'rabbitmq: message handler threw instead of returning a disposition',
      );
      disposition = { kind: 'retry', delayMs: 0, attempt: message.attempt };
    }
    if (this.dead) return;
    if (disposition.kind === 'ack') attached.acks.ack(delivery);
    else await this.store(attached, delivery, message, disposition);
  }

  /** Retry or dead-letter: the message is stored in its next queue (confirmed) before the ack. */
  private async store(
    attached: Attached,
    delivery: ConsumeMessage,
    message: IncomingMessage,
    disposition: Exclude<Disposition, { kind: 'ack' }>,
  ): Promise<void> {
    // Its channel is gone: the broker redelivers the message, storing it too would duplicate it.
    if (!attached.open) return;
    try {
      if (disposition.kind === 'retry') await this.sendToDelay(message, disposition);
      else await this.sendToDeadLetters(message, disposition);
      attached.acks.ack(delivery);
    } catch (error) {
      this.options.log.warn(
        { err: error, id: message.id, kind: disposition.kind },
        'rabbitmq: could not store the message for retry or dead-letter; it will be delivered again',
      );
      // A queue deleted behind our back makes the publish unroutable: declare again next time.
      const model = this.connection.current;
      if (model) this.topology.invalidate(model);
      await new Promise((resolve) => setTimeout(resolve, REQUEUE_PAUSE_MS));
      attached.acks.requeue(delivery);
    }
  }

  private async sendToDelay(message: IncomingMessage, retry: Extract<Disposition, { kind: 'retry' }>): Promise<void> {
    const model = await this.connection.ready(this.options.publishTimeoutMs);
    const queue = await this.topology.delayQueue(model, this.spec.group, retry.delayMs);
    const headers = {
      ...message.headers,
      [Header.attempt]: String(retry.attempt),
      [Header.originTopic]: message.topic,
      [Header.group]: this.spec.group,
    };
    await this.publisher.send([encodeMessage({ ...message, headers }, '', queue, true, message.id)]);
  }

  private async sendToDeadLetters(
    message: IncomingMessage,
    letter: Extract<Disposition, { kind: 'dead-letter' }>,
  ): Promise<void> {
    const headers = deadLetterHeaders(message, this.spec.group, letter);
    await this.publisher.send([
      encodeMessage({ ...message, headers }, '', this.names.deadLetterQueue, true, message.id),
    ]);
  }

  /** Stops intake, lets started handlers finish and settles them, requeues the rest, closes the channel. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.connection.removeAttacher(this.attacher);
    const attached = this.current;
    if (attached?.open && attached.tag !== undefined)
      await attached.channel.cancel(attached.tag).catch(() => undefined);
    await this.runner.idle();
    this.current = undefined;
    attached?.acks.flush();
    if (attached?.open) await attached.channel.close().catch(() => undefined);
  }

  /** A crash: outcomes of handlers still running are ignored; the broker redelivers their messages. */
  kill(): void {
    this.dead = true;
    this.closing = true;
    this.current?.acks.discard();
    this.connection.removeAttacher(this.attacher);
  }
}
