/**
 * Listing and replaying a group's dead-letter queue. RabbitMQ has no "peek", so listing
 * takes messages with basic.get on a private channel without acking them and then
 * returns them all (nack with requeue), which puts them back where they were. Replay
 * sends the chosen ones back to the group's queue as first attempts, waits for the
 * confirm, and only then acks (removes) them from the dead-letter queue. Discard acks the
 * chosen ones without sending them anywhere: they are gone for good.
 */
import type { Channel, GetMessage } from 'amqplib';
import { Header, readDeadLetter, type DeadLetter, type DeadLetterAccess } from '@tandem/core';
import { decodeDelivery, encodeMessage } from './codec.js';
import type { AmqpConnection } from './connection.js';
import type { ResolvedOptions } from './options.js';
import type { Publisher } from './publisher.js';
import type { Topology } from './topology.js';

export function deadLetterAccess(
  connection: AmqpConnection,
  topology: Topology,
  publisher: Publisher,
  options: ResolvedOptions,
): DeadLetterAccess {
  async function withQueue<T>(
    group: string,
    work: (channel: Channel, queue: string) => Promise<T>,
    empty: T,
  ): Promise<T> {
    const model = await connection.ready(options.publishTimeoutMs);
    const queue = topology.group(group).deadLetterQueue;
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      try {
        await channel.checkQueue(queue);
      } catch {
        // No dead-letter queue: the group never subscribed, so it has no dead letters.
        return empty;
      }
      return await work(channel, queue);
    } finally {
      // Closing the channel returns every message still unacked on it to the queue.
      await channel.close().catch(() => undefined);
    }
  }

  function read(message: GetMessage, group: string, queue: string): DeadLetter {
    const decoded = decodeDelivery(message, options.names.exchange, queue);
    const stored = {
      topic: decoded.topic,
      ...(decoded.key !== undefined ? { key: decoded.key } : {}),
      headers: decoded.headers,
      body: decoded.body,
    };
    const letter = readDeadLetter(stored, group);
    // A malformed message without ce-id keeps the id it was given in the AMQP message id.
    return letter.id === '' ? { ...letter, id: decoded.id } : letter;
  }

  /**
   * Looks through the dead-letter queue (at most deadLetterScanLimit messages) for the chosen
   * ids; each one found is handed to `settle` and then acked, which removes it. The others
   * are returned (nack with requeue) to where they were. Returns how many were removed.
   */
  function take(group: string, ids: string[], settle: (letter: DeadLetter) => Promise<void>): Promise<number> {
    const wanted = new Set(ids);
    if (wanted.size === 0) return Promise.resolve(0);
    return withQueue(
      group,
      async (channel, queue) => {
        let taken = 0;
        for (let scanned = 0; wanted.size > 0 && scanned < options.deadLetterScanLimit; scanned++) {
          const message = await channel.get(queue, { noAck: false });
          if (message === false) break;
          const letter = read(message, group, queue);
          if (!wanted.delete(letter.id)) continue;
          await settle(letter);
          channel.ack(message);
          taken++;
        }
        channel.nackAll(true);
        return taken;
      },
      0,
    );
  }

  return {
    // Without a limit, as many as a replay would look through: a bound, since each is held in memory.
    list(group, { limit = options.deadLetterScanLimit } = {}) {
      return withQueue(
        group,
        async (channel, queue) => {
          const letters: DeadLetter[] = [];
          while (letters.length < limit) {
            const message = await channel.get(queue, { noAck: false });
            if (message === false) break;
            letters.push(read(message, group, queue));
          }
          channel.nackAll(true);
          return letters;
        },
        [],
      );
    },

    async replay(group, ids) {
      const target = topology.group(group).queue;
      return take(group, ids, async (letter) => {
        const headers: Record<string, string> = {
          ...letter.message.headers,
          [Header.originTopic]: letter.message.topic,
        };
        delete headers[Header.attempt];
        await publisher.send([encodeMessage({ ...letter.message, headers }, '', target, true, letter.id)]);
      });
    },

    discard(group, ids) {
      return take(group, ids, () => Promise.resolve());
    },
  };
}
