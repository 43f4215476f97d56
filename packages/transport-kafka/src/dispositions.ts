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
   * Writes until the broker takes the record, backing off between tries (0.5 s, doubling up
   * to 30 s): the original offset cannot be committed before. Gives up when `stop()` says so
   * (closing, partition moved), or once `timeoutMs` has passed since the first try; then the
   * caller hands the message back (it is not committed) instead of holding its runner slot.
   */
  async persist(
    group: string,
    message: IncomingMessage,
    disposition: Disposition,
    stop: () => boolean,
    timeoutMs = Number.POSITIVE_INFINITY,
  ): Promise<PersistOutcome> {
    const started = Date.now();
    for (let wait = 500; ; wait = Math.min(wait * 2, 30_000)) {
      try {
        await this.write(group, message, disposition);
        return { written: true };
      } catch (error) {
        this.log.warn(
          { err: error, group, id: message.id, kind: disposition.kind },
          'kafka: writing a disposition failed; trying again',
        );
        if (stop()) return { written: false, stopped: true, error };
        const left = started + timeoutMs - Date.now();
        if (left <= 0) {
          const topic = this.recordFor(group, message, disposition)?.topic ?? '';
          return { written: false, stopped: false, error, topic };
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)).unref());
      }
    }
  }
}

export type PersistOutcome =
  | { written: true }
  | { written: false; stopped: true; error: unknown }
  /** Timed out: `topic` could not be written. */
  | { written: false; stopped: false; error: unknown; topic: string };
