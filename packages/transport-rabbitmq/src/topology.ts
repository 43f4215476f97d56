/**
 * The objects Tandem declares, and declaring them again on every new connection:
 *
 * - one durable topic exchange for events (routing key = topic);
 * - per consumer group: a durable queue bound by each topic it handles, and a
 *   dead-letter queue;
 * - per group and delay level, a delay queue with a message TTL whose dead-letter
 *   exchange is the default exchange and routing key the group's own queue, so an
 *   expired message returns to the failing group only (no plugin needed). On quorum
 *   queues that hand-over is at-least-once (`x-dead-letter-strategy: at-least-once`,
 *   which RabbitMQ honours only with `x-overflow: reject-publish`): the delay queue keeps
 *   an expired message until the group's queue confirmed it. RabbitMQ's default,
 *   at-most-once, drops it when the group queue cannot take it at that moment.
 *
 * Every declaration is an assert, so declaring twice, from several processes, is harmless.
 * A declaration that conflicts with an existing object (other arguments) closes the
 * channel it ran on; each batch gets its own short-lived channel so that never takes the
 * publisher or a consumer with it.
 */
import type { Channel, ChannelModel, Options } from 'amqplib';
import { BrokerError } from '@tandem/core';
import { checkName, delayLevelFor, type TopologyNames } from './names.js';
import type { ResolvedOptions } from './options.js';

/** What a quorum delay queue needs for its expired messages to reach the group queue at least once. */
export const AT_LEAST_ONCE_DEAD_LETTERING = {
  'x-dead-letter-strategy': 'at-least-once',
  'x-overflow': 'reject-publish',
} as const;

export interface GroupTopology {
  queue: string;
  deadLetterQueue: string;
}

/** The exchange and queues a transport has declared so far. */
export interface DeclaredNames {
  exchanges: string[];
  queues: string[];
}

export class Topology {
  readonly names: TopologyNames;
  /** Topics per group, as subscriptions asked for them; re-bound after a reconnect. */
  private readonly groups = new Map<string, Set<string>>();
  private readonly delayQueues = new Map<string, Set<number>>();
  /** What is known to exist on a given connection; a new connection starts empty. */
  private readonly asserted = new WeakMap<ChannelModel, Set<string>>();

  constructor(private readonly options: ResolvedOptions) {
    this.names = options.names;
  }

  /** Everything this transport has declared, for operators and for test clean-up. */
  declared(): DeclaredNames {
    const queues: string[] = [];
    for (const [group, levels] of this.delayQueues)
      for (const level of levels) queues.push(this.names.delayQueue(group, level));
    for (const group of this.groups.keys())
      queues.push(this.names.groupQueue(group), this.names.deadLetterQueue(group));
    return { exchanges: [this.names.exchange], queues };
  }

  group(group: string): GroupTopology {
    return {
      queue: checkName('queue', this.names.groupQueue(group)),
      deadLetterQueue: checkName('queue', this.names.deadLetterQueue(group)),
    };
  }

  /**
   * Declares the exchange, the group's queue with its bindings, and its dead-letter queue.
   * Every time, not only once per connection: a consumer attaches after its queue was
   * deleted (RabbitMQ cancelled it) and must find the queue and its bindings there again.
   */
  async declareGroup(model: ChannelModel, group: string, topics: string[]): Promise<GroupTopology> {
    let known = this.groups.get(group);
    if (!known) this.groups.set(group, (known = new Set()));
    for (const topic of topics) known.add(topic);
    const names = this.group(group);
    await this.run(model, `group ${group}`, async (channel, done) => {
      await this.assertExchange(channel, done);
      await channel.assertQueue(names.queue, this.queueOptions({}));
      await channel.assertQueue(names.deadLetterQueue, this.queueOptions({}));
      done.add(`q:${names.queue}`);
      for (const topic of topics) {
        await channel.bindQueue(names.queue, this.names.exchange, topic);
        done.add(`b:${names.queue}:${topic}`);
      }
    });
    return names;
  }

  /** Whether this transport declared the group's delay queue of `level` (so it exists, unless deleted by hand). */
  hasDelayQueue(group: string, level: number): boolean {
    return this.delayQueues.get(group)?.has(level) ?? false;
  }

  /** The delay queue a retry after `delayMs` waits in, declared on first use. */
  async delayQueue(model: ChannelModel, group: string, delayMs: number): Promise<string> {
    const level = delayLevelFor(this.options.delayLevelsMs, delayMs);
    const name = checkName('queue', this.names.delayQueue(group, level));
    const done = this.asserted.get(model);
    if (done?.has(`q:${name}`)) return name;
    await this.run(model, `delay queue ${name}`, (channel, asserted) =>
      this.assertDelayQueue(channel, asserted, group, level),
    );
    // Only once declared: a level whose queue conflicts must not fail every reconnect's redeclare.
    let levels = this.delayQueues.get(group);
    if (!levels) this.delayQueues.set(group, (levels = new Set()));
    levels.add(level);
    return name;
  }

  /** Everything declared so far, again: the first thing a new connection does. */
  async redeclare(model: ChannelModel): Promise<void> {
    if (this.groups.size === 0) return;
    await this.run(model, 'topology', async (channel, done) => {
      await this.assertExchange(channel, done);
      for (const [group, topics] of this.groups) {
        const names = this.group(group);
        await channel.assertQueue(names.queue, this.queueOptions({}));
        await channel.assertQueue(names.deadLetterQueue, this.queueOptions({}));
        done.add(`q:${names.queue}`);
        for (const topic of topics) {
          await channel.bindQueue(names.queue, this.names.exchange, topic);
          done.add(`b:${names.queue}:${topic}`);
        }
      }
      for (const [group, levels] of this.delayQueues)
        for (const level of levels) await this.assertDelayQueue(channel, done, group, level);
    });
  }

  /** Forgets what was asserted on `model`, so the next use declares again (after an unroutable retry). */
  invalidate(model: ChannelModel): void {
    this.asserted.delete(model);
  }

  /** The exchange alone: publishing needs it even before any group subscribed. */
  async declareExchange(model: ChannelModel): Promise<void> {
    if (this.asserted.get(model)?.has(`x:${this.names.exchange}`)) return;
    await this.run(model, `exchange ${this.names.exchange}`, (channel, done) => this.assertExchange(channel, done));
  }

  private async assertExchange(channel: Channel, done: Set<string>): Promise<void> {
    const key = `x:${this.names.exchange}`;
    if (done.has(key)) return;
    await channel.assertExchange(this.names.exchange, 'topic', { durable: true });
    done.add(key);
  }

  private async assertDelayQueue(channel: Channel, done: Set<string>, group: string, level: number): Promise<void> {
    const name = this.names.delayQueue(group, level);
    await channel.assertQueue(
      name,
      this.queueOptions({
        'x-message-ttl': level,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': this.names.groupQueue(group),
        ...(this.options.queueType === 'quorum' ? AT_LEAST_ONCE_DEAD_LETTERING : {}),
      }),
    );
    done.add(`q:${name}`);
  }

  private queueOptions(args: Record<string, unknown>): Options.AssertQueue {
    return { durable: true, arguments: { 'x-queue-type': this.options.queueType, ...args } };
  }

  private async run(
    model: ChannelModel,
    what: string,
    work: (channel: Channel, done: Set<string>) => Promise<void>,
  ): Promise<void> {
    let done = this.asserted.get(model);
    if (!done) this.asserted.set(model, (done = new Set()));
    let channel: Channel | undefined;
    try {
      channel = await model.createChannel();
      channel.on('error', () => undefined);
      await work(channel, done);
    } catch (cause) {
      throw declarationError(what, cause);
    } finally {
      await channel?.close().catch(() => undefined);
    }
  }
}

function declarationError(what: string, cause: unknown): BrokerError {
  const message = (cause as Error).message;
  const conflict = /inequivalent arg '([^']+)' for queue '([^']+)'/.exec(message);
  if (conflict && conflict[1]! in AT_LEAST_ONCE_DEAD_LETTERING) {
    const queue = conflict[2]!;
    return new BrokerError(
      `rabbitmq: ${what} was declared by an earlier version without at-least-once dead-lettering (${conflict[1]} differs), and RabbitMQ cannot change a queue's arguments. Until it is replaced, a retry at this level is delivered again instead of waiting. Once no instance of the earlier version runs and the queue is empty (its messages return to the group queue within the level; check with \`rabbitmqctl list_queues name messages\`), run \`rabbitmqctl delete_queue '${queue}'\` (add -p <vhost>); the next retry declares it anew. See "Migrating quorum delay queues" in docs/transports.md`,
      { cause },
    );
  }
  return new BrokerError(
    `rabbitmq: declaring ${what} failed: ${message}. If an object of that name exists with other arguments, delete it or choose another prefix`,
    { cause },
  );
}
