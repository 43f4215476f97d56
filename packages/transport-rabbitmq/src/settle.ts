/**
 * Carrying out a retry or dead-letter disposition: the message is stored in its next
 * queue (the group's delay queue for that level, or its dead-letter queue) and confirmed
 * before the original is acked, so a crash in between leaves a duplicate, never a loss.
 */
import { deadLetterHeaders, Header, type Disposition, type IncomingMessage } from '@tandem/core';
import { encodeMessage } from './codec.js';
import type { AmqpConnection } from './connection.js';
import type { ResolvedOptions } from './options.js';
import type { Publisher } from './publisher.js';
import type { Topology } from './topology.js';

export type Stored = Exclude<Disposition, { kind: 'ack' }>;

export class DispositionStore {
  constructor(
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
    private readonly publisher: Publisher,
    private readonly options: ResolvedOptions,
    private readonly group: string,
  ) {}

  /** Resolves once the broker confirmed the copy; rejects (and forgets declared queues) when it did not. */
  async store(message: IncomingMessage, disposition: Stored): Promise<void> {
    try {
      if (disposition.kind === 'retry') await this.sendToDelay(message, disposition);
      else await this.sendToDeadLetters(message, disposition);
    } catch (error) {
      // A queue deleted behind our back makes the publish unroutable: declare again next time.
      const model = this.connection.current;
      if (model) this.topology.invalidate(model);
      throw error;
    }
  }

  private async sendToDelay(message: IncomingMessage, retry: Extract<Disposition, { kind: 'retry' }>): Promise<void> {
    const model = await this.connection.ready(this.options.publishTimeoutMs);
    const queue = await this.topology.delayQueue(model, this.group, retry.delayMs);
    const headers = {
      ...message.headers,
      [Header.attempt]: String(retry.attempt),
      [Header.originTopic]: message.topic,
      [Header.group]: this.group,
    };
    await this.publisher.send([encodeMessage({ ...message, headers }, '', queue, true, message.id)]);
  }

  private async sendToDeadLetters(
    message: IncomingMessage,
    letter: Extract<Disposition, { kind: 'dead-letter' }>,
  ): Promise<void> {
    const headers = deadLetterHeaders(message, this.group, letter);
    const queue = this.topology.group(this.group).deadLetterQueue;
    await this.publisher.send([encodeMessage({ ...message, headers }, '', queue, true, message.id)]);
  }
}
