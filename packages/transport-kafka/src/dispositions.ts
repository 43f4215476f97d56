/**
 * Carries out a retry or dead-letter disposition by writing the message where it goes
 * next: the group's retry topic for its delay level, or the group's dead-letter topic.
 * The consumer commits the original offset only after this write is acknowledged.
 */
import { deadLetterHeaders, type Disposition, type IncomingMessage, type Logger } from '@tandem/core';
import { encodeRecord, encodeRetryRecord } from './codec.js';
import { levelFor, type KafkaTopicNames } from './names.js';
import type { TopicRecord } from './producer.js';

export type SendRecords = (records: TopicRecord[]) => Promise<void>;

export class DispositionWriter {
  constructor(
    private readonly send: SendRecords,
    private readonly names: KafkaTopicNames,
    private readonly levels: readonly number[],
    private readonly log: Logger,
  ) {}

  /** The record a retry or dead-letter disposition writes, and where; undefined for ack. */
  recordFor(
    group: string,
    message: IncomingMessage,
    disposition: Disposition,
    now = Date.now(),
  ): TopicRecord | undefined {
    if (disposition.kind === 'retry') {
      const level = levelFor(this.levels, disposition.delayMs);
      return {
        topic: this.names.retry(group, level),
        record: encodeRetryRecord(message, group, disposition.attempt, now + Math.max(0, disposition.delayMs)),
      };
    }
    if (disposition.kind === 'dead-letter') {
      const headers = deadLetterHeaders(message, group, disposition, new Date(now));
      return {
        topic: this.names.deadLetter(group),
        record: encodeRecord({
          topic: message.topic,
          ...(message.key !== undefined ? { key: message.key } : {}),
          headers,
          body: message.body,
        }),
      };
    }
    return undefined;
  }

  async write(group: string, message: IncomingMessage, disposition: Disposition): Promise<void> {
    const record = this.recordFor(group, message, disposition);
    if (record) await this.send([record]);
  }

  /**
   * Writes until the broker takes the record, backing off up to 30 s between tries: the
   * original offset cannot be committed before. False when `givenUp()` says to stop
   * (closing, partition moved): the message is then redelivered instead.
   */
  async persist(
    group: string,
    message: IncomingMessage,
    disposition: Disposition,
    givenUp: () => boolean,
  ): Promise<boolean> {
    for (let wait = 500; ; wait = Math.min(wait * 2, 30_000)) {
      try {
        await this.write(group, message, disposition);
        return true;
      } catch (error) {
        this.log.warn(
          { err: error, group, id: message.id, kind: disposition.kind },
          'kafka: writing a disposition failed; trying again',
        );
        if (givenUp()) return false;
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
      }
    }
  }
}
