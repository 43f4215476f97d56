/**
 * Publishing on a confirm channel: a publish resolves only when RabbitMQ confirmed every
 * message. A nack, a mandatory message returned as unroutable, a channel or connection
 * lost before the confirm, or no confirm within the timeout all reject with a
 * BrokerError whose `details.reason` says which; nothing is dropped silently. When the
 * channel's write buffer is full (`publish` returns false), the next message waits for
 * 'drain'.
 */
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { BrokerError, uuidv7 } from '@tandem/core';
import type { AmqpPublish } from './codec.js';
import type { AmqpConnection } from './connection.js';
import type { ResolvedOptions } from './options.js';
import type { Topology } from './topology.js';

/** Why a publish was rejected, in the BrokerError's `details.reason`. */
export type PublishFailure = 'nacked' | 'unroutable' | 'channel-closed' | 'timeout' | 'closed';

interface Returnable {
  returned: boolean;
}

/** Told once per message: undefined when confirmed, the reason when not. */
type Confirmed = (error: BrokerError | undefined) => void;

interface Unconfirmed {
  deadline: number;
  fail: (error: BrokerError) => void;
}

/** How often publishes past their deadline are looked for; one timer, not one per publish. */
const SWEEP_MS = 250;

export class Publisher {
  private channel: ConfirmChannel | undefined;
  private closed = false;
  /** Mandatory publishes awaiting their confirm, by message id, oldest first (returns precede acks). */
  private readonly returnables = new Map<string, Returnable[]>();
  /** Every message sent and not yet confirmed or rejected. */
  private readonly unconfirmed = new Set<Unconfirmed>();
  private sweeper: NodeJS.Timeout | undefined;
  private whenSettled: Array<() => void> = [];
  /** The last publish found the channel's write buffer full: the next one waits for 'drain'. */
  private full = false;
  private readonly attacher = (model: ChannelModel) => this.attach(model);

  constructor(
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
    private readonly options: ResolvedOptions,
  ) {}

  start(): Promise<void> {
    this.closed = false;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
    return this.connection.addAttacher(this.attacher);
  }

  private async attach(model: ChannelModel): Promise<void> {
    await this.topology.declareExchange(model);
    const channel = await model.createConfirmChannel();
    channel.on('error', (error: Error) => this.options.log.warn({ err: error }, 'rabbitmq publish channel error'));
    channel.on('return', (message: { properties: { messageId?: unknown } }) => {
      const id = message.properties.messageId;
      const waiting = typeof id === 'string' ? this.returnables.get(id) : undefined;
      const first = waiting?.find((entry) => !entry.returned);
      if (first) first.returned = true;
    });
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      // A channel error (not a lost connection) closed it: open a new one on the same connection.
      if (!this.closed && this.connection.current === model) {
        this.attach(model).catch((error: unknown) =>
          this.options.log.warn({ err: error }, 'rabbitmq: reopening the publish channel failed'),
        );
      }
    });
    this.full = false;
    this.channel = channel;
  }

  /** Sends every message and resolves when all are confirmed; rejects on the first failure. */
  send(messages: AmqpPublish[]): Promise<void> {
    if (this.closed) {
      return Promise.reject(failure('closed', 'rabbitmq transport is closed: publish after close() is not possible'));
    }
    const deadline = Date.now() + this.options.publishTimeoutMs;
    // One promise per call, not per message: a counter settles it.
    return new Promise<void>((resolve, reject) => {
      let pending = messages.length;
      let failed = false;
      const confirmed: Confirmed = (error) => {
        if (failed) return;
        if (error) {
          failed = true;
          reject(error);
        } else if (--pending === 0) resolve();
      };
      if (pending === 0) resolve();
      // The common case, one message on a ready channel, without the loop's awaits.
      else if (pending === 1 && this.channel && !this.full)
        this.publishOne(this.channel, messages[0]!, deadline, confirmed);
      else this.publishAll(messages, deadline, confirmed).catch((error: BrokerError) => confirmed(error));
    });
  }

  private async publishAll(messages: AmqpPublish[], deadline: number, confirmed: Confirmed): Promise<void> {
    for (const message of messages) {
      const channel = this.channel ?? (await this.waitForChannel(deadline));
      this.publishOne(channel, message, deadline, confirmed);
      if (this.full) await this.drained(channel, deadline);
    }
  }

  private publishOne(channel: ConfirmChannel, message: AmqpPublish, deadline: number, confirmed: Confirmed): void {
    const options: Options.Publish = message.options;
    let returnable: Returnable | undefined;
    // A returned message is matched to its publish by message id, so a mandatory one needs one.
    if (options.mandatory && options.messageId === undefined) options.messageId = uuidv7();
    const id = options.messageId;
    if (options.mandatory && id !== undefined) {
      returnable = { returned: false };
      const list = this.returnables.get(id);
      if (list) list.push(returnable);
      else this.returnables.set(id, [returnable]);
    }
    let settled = false;
    const finish = (error: BrokerError | undefined): void => {
      if (settled) return;
      settled = true;
      this.unconfirmed.delete(waiting);
      if (returnable) this.forget(id!, returnable);
      confirmed(error);
      if (this.unconfirmed.size === 0 && this.whenSettled.length > 0) {
        const wake = this.whenSettled;
        this.whenSettled = [];
        for (const resolveSettled of wake) resolveSettled();
      }
    };
    const waiting: Unconfirmed = { deadline, fail: finish };
    const done = (error: unknown): void =>
      finish(error ? confirmError(error, message) : returnable?.returned ? unroutable(message) : undefined);
    this.unconfirmed.add(waiting);
    try {
      this.full = !channel.publish(message.exchange, message.routingKey, message.content, options, done);
    } catch (error) {
      done(error);
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const waiting of this.unconfirmed) {
      if (waiting.deadline > now) continue;
      waiting.fail(
        failure(
          'timeout',
          `rabbitmq did not confirm a message within ${this.options.publishTimeoutMs} ms (publishTimeoutMs)`,
        ),
      );
    }
  }

  private forget(id: string, returnable: Returnable): void {
    const list = this.returnables.get(id);
    if (!list) return;
    const index = list.indexOf(returnable);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.returnables.delete(id);
  }

  private drained(channel: ConfirmChannel, deadline: number): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.full = false;
        channel.off('drain', wake);
        channel.off('close', wake);
        resolve();
      };
      const timer = setTimeout(
        () => {
          channel.off('drain', wake);
          channel.off('close', wake);
          reject(failure('timeout', `rabbitmq publish channel stayed full for ${this.options.publishTimeoutMs} ms`));
        },
        Math.max(0, deadline - Date.now()),
      );
      channel.on('drain', wake);
      channel.on('close', wake);
    });
  }

  private async waitForChannel(deadline: number): Promise<ConfirmChannel> {
    for (;;) {
      if (this.closed) throw failure('closed', 'rabbitmq transport is closed: publish after close() is not possible');
      if (this.channel) return this.channel;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw failure('timeout', `rabbitmq publish channel not available within ${this.options.publishTimeoutMs} ms`);
      }
      if (!this.connection.current) await this.connection.ready(remaining);
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops taking publishes, waits until those in flight are confirmed or rejected, closes the channel. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.unconfirmed.size > 0) await new Promise<void>((resolve) => this.whenSettled.push(resolve));
    clearInterval(this.sweeper);
    this.connection.removeAttacher(this.attacher);
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }
}

function confirmError(error: unknown, message: AmqpPublish): BrokerError {
  const closed = error instanceof Error && /closed/i.test(error.message);
  return closed
    ? failure(
        'channel-closed',
        `rabbitmq channel closed before confirming a message to '${message.routingKey}'; it may or may not have been stored, publish it again`,
        error,
      )
    : failure('nacked', `rabbitmq refused (nacked) a message to '${message.routingKey}'`, error);
}

function unroutable(message: AmqpPublish): BrokerError {
  return failure(
    'unroutable',
    `rabbitmq returned a message to '${message.routingKey}' on exchange '${message.exchange || '(default)'}' as unroutable: no queue is bound to it; subscribe a consumer group first or publish without mandatory`,
  );
}

function failure(reason: PublishFailure, message: string, cause?: unknown): BrokerError {
  return new BrokerError(message, { details: { reason }, ...(cause !== undefined ? { cause } : {}) });
}
