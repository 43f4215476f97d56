/**
 * Delivery of past events to one consumer group (`tandem replay`): each goes straight to
 * the group's queue through the default exchange, as a first attempt with its original
 * id, so no other group sees it and the group's inbox recognises what it already handled.
 * The topic travels in a header, as for a replayed dead letter. Publishing waits for the
 * broker's confirms, in the order given, so order per key holds.
 */
import { ConfigError, Header, type PastEvent } from '@tandem/core';
import { encodeMessage } from './codec.js';
import type { AmqpConnection } from './connection.js';
import type { ResolvedOptions } from './options.js';
import type { Publisher } from './publisher.js';
import type { Topology } from './topology.js';

export function groupDelivery(
  connection: AmqpConnection,
  topology: Topology,
  publisher: Publisher,
  options: ResolvedOptions,
): (group: string, events: readonly PastEvent[]) => Promise<void> {
  const known = new Set<string>();

  async function check(group: string, queue: string): Promise<void> {
    if (known.has(group)) return;
    const model = await connection.ready(options.publishTimeoutMs);
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.checkQueue(queue);
      known.add(group);
    } catch {
      throw new ConfigError(
        `rabbitmq: no queue '${queue}' for consumer group '${group}': the group has never subscribed on this broker (check --group and the broker's vhost)`,
      );
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  return async (group, events) => {
    const queue = topology.group(group).queue;
    await check(group, queue);
    if (events.length === 0) return;
    await publisher.send(
      events.map(({ id, message }) => {
        const headers: Record<string, string> = { ...message.headers, [Header.originTopic]: message.topic };
        delete headers[Header.attempt];
        return encodeMessage({ ...message, headers }, '', queue, true, id || undefined);
      }),
    );
  };
}
