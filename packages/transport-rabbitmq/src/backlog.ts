/**
 * How many messages wait for a consumer group (BrokerTransport.backlog, the console's lag):
 * the ready messages of the group's queue plus those in its delay queues. A retry waiting in
 * a delay queue waits for this group and no other, due or not, so it counts; messages
 * delivered to a consumer and not yet acked are in flight and do not (RabbitMQ's
 * `messageCount` is the ready ones only).
 *
 * The delay queues looked at are the levels this transport is configured with
 * (`delayLevelsMs`); a level that was never used has no queue and counts 0. Each queue is
 * checked with a passive declare. A passive declare of a missing queue closes its channel
 * (404), so a fresh channel replaces it for the next queue, and the publisher's and the
 * consumers' channels are never touched.
 *
 * Most levels are never used, and each missing one costs a channel close and reopen (26 ms
 * with the 16 default levels, every 5 s per group while the console charts lag). So a delay
 * queue found missing is taken as empty, without asking again, for MISSING_RECHECK_MS; one
 * this transport declares itself (its own retries) is always asked for. A retry that another
 * process parks in a level new to the broker is counted at most that long after it arrived.
 */
import type { Channel, ChannelModel } from 'amqplib';
import { ConfigError } from '@tandem/core';
import type { AmqpConnection } from './connection.js';
import { checkName } from './names.js';
import type { ResolvedOptions } from './options.js';
import type { Topology } from './topology.js';

/** How long a delay queue found missing is taken as empty before it is asked for again. */
export const MISSING_RECHECK_MS = 30_000;

export function groupBacklog(
  connection: AmqpConnection,
  topology: Topology,
  options: ResolvedOptions,
): (group: string) => Promise<number> {
  /** Delay queues found missing, until when they are taken as empty without a declare. */
  const missingUntil = new Map<string, number>();
  return async (group) => {
    const queue = topology.group(group).queue;
    const model = await connection.ready(options.publishTimeoutMs);
    const counter = new QueueCounter(model);
    try {
      const main = await counter.ready(queue);
      if (main === undefined)
        throw new ConfigError(
          `rabbitmq: no queue '${queue}' for consumer group '${group}': the group has never subscribed on this broker (check the group name and the broker's vhost)`,
        );
      let waiting = main;
      for (const level of options.delayLevelsMs) {
        const delayQueue = checkName('queue', topology.names.delayQueue(group, level));
        const declaredHere = topology.hasDelayQueue(group, level);
        if (!declaredHere && (missingUntil.get(delayQueue) ?? 0) > Date.now()) continue;
        const ready = await counter.ready(delayQueue);
        if (ready === undefined) missingUntil.set(delayQueue, Date.now() + MISSING_RECHECK_MS);
        else missingUntil.delete(delayQueue);
        waiting += ready ?? 0;
      }
      return waiting;
    } finally {
      await counter.close();
    }
  };
}

/** Passive declares on a channel of its own, opened again after a missing queue closed it. */
class QueueCounter {
  private channel: Channel | undefined;

  constructor(private readonly model: ChannelModel) {}

  /** The queue's ready messages, or undefined when it does not exist. */
  async ready(queue: string): Promise<number | undefined> {
    const channel = await this.open();
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch (cause) {
      this.channel = undefined;
      await channel.close().catch(() => undefined);
      if (isNotFound(cause)) return undefined;
      throw cause;
    }
  }

  async close(): Promise<void> {
    await this.channel?.close().catch(() => undefined);
    this.channel = undefined;
  }

  private async open(): Promise<Channel> {
    if (this.channel) return this.channel;
    const channel = await this.model.createChannel();
    channel.on('error', () => undefined);
    this.channel = channel;
    return channel;
  }
}

/** amqplib's error for a passive declare of a missing queue: the channel closed with 404 NOT_FOUND. */
function isNotFound(cause: unknown): boolean {
  return (cause as { code?: unknown }).code === 404;
}
