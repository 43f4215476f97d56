/**
 * Dead letters of a group, listed and replayed from the group's dead-letter topic.
 *
 * Kafka cannot delete one record, so a replay appends a marker record (naming the
 * partition and offset of the letter it replays) to the same topic, and listing leaves
 * replayed letters out. A discard appends a marker of its own kind and sends nothing: the
 * letter is neither listed nor replayable again, though its record stays in the topic
 * until retention removes it. A replayed message goes to the group's shortest retry topic, due
 * at once, with attempt 1: only the group that dead-lettered it handles it again.
 *
 * Reading uses one consumer per group, started on first use, that reads the topic from
 * the beginning and never commits; each call waits until it has read up to the topic's
 * current end, so a letter written before the call is in the answer.
 */
import { randomBytes } from 'node:crypto';
import { Header, readDeadLetter, TimeoutError, type DeadLetter, type DeadLetterAccess } from '@tandem/core';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { decodeHeaders, encodeRetryRecord, positionId, textHeaders } from './codec.js';
import type { SendRecords } from './dispositions.js';
import type { KafkaTopicNames } from './names.js';

/** Marker headers, each naming the partition:offset of the letter it settles. */
const REPLAYED = 'tandem-dead-letter-replayed';
const DISCARDED = 'tandem-dead-letter-discarded';

interface Letter {
  position: string;
  letter: DeadLetter;
}

class DeadLetterReader {
  readonly letters = new Map<string, Letter>();
  /** Positions of letters replayed or discarded: never listed again. */
  readonly settled = new Set<string>();
  private readonly next = new Map<number, bigint>();
  private readonly consumer: Consumer;
  readonly started: Promise<void>;

  constructor(
    kafka: Kafka,
    readonly topic: string,
    private readonly group: string,
    maxWaitTimeInMs: number,
  ) {
    this.consumer = kafka.consumer({
      groupId: `${topic}.reader.${randomBytes(4).toString('hex')}`,
      maxWaitTimeInMs,
      allowAutoTopicCreation: true,
    });
    this.started = new Promise<void>((resolve, reject) => {
      this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve());
      this.consumer.on(this.consumer.events.CRASH, (e) => !e.payload.restart && reject(e.payload.error));
      this.consumer
        .connect()
        .then(() => this.consumer.subscribe({ topics: [topic], fromBeginning: true }))
        .then(() =>
          this.consumer.run({
            autoCommit: false,
            eachBatch: async ({ batch }) => this.read(batch.partition, batch.messages),
          }),
        )
        .catch(reject);
    });
    this.started.catch(() => undefined);
  }

  private read(partition: number, records: KafkaMessage[]): void {
    for (const record of records) {
      const position = `${partition}:${record.offset}`;
      const headers = textHeaders(record.headers);
      const marker = headers[REPLAYED] ?? headers[DISCARDED];
      if (marker !== undefined) {
        this.settled.add(marker);
        this.letters.delete(marker);
      } else if (!this.settled.has(position)) {
        const stored = {
          topic: this.topic,
          ...(record.key ? { key: record.key.toString('utf8') } : {}),
          headers: decodeHeaders(record.headers),
          body: record.value ?? new Uint8Array(0),
        };
        const letter = readDeadLetter(stored, this.group);
        // Written before dead letters recorded the id of a message without ce_id: the
        // delivery's id was its position, which the letter's origin names.
        if (letter.id === '') letter.id = positionId(letter.origin);
        this.letters.set(position, { position, letter });
      }
      this.next.set(partition, BigInt(record.offset) + 1n);
    }
  }

  /** Waits until everything in the topic when called has been read. */
  async catchUp(admin: Admin, timeoutMs: number): Promise<void> {
    await this.started;
    const ends = await admin.fetchTopicOffsets(this.topic);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const behind = ends.filter(
        ({ partition, high, low }) => BigInt(high) > BigInt(low) && (this.next.get(partition) ?? -1n) < BigInt(high),
      );
      if (behind.length === 0) return;
      if (Date.now() > deadline)
        throw new TimeoutError(
          `kafka: reading dead-letter topic ${this.topic} did not reach its end within ${timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): Promise<void> {
    return this.consumer.disconnect();
  }
}

export interface KafkaDeadLettersDeps {
  kafka: () => Kafka;
  admin: () => Admin;
  send: SendRecords;
  names: KafkaTopicNames;
  /** The shortest retry level (ms): where replayed messages go. */
  replayLevelMs: number;
  maxWaitTimeMs: number;
  /** Before reading a group's topic (creates it when the transport creates topics). */
  prepare: (topic: string) => Promise<void>;
}

export class KafkaDeadLetters implements DeadLetterAccess {
  private readonly readers = new Map<string, DeadLetterReader>();

  constructor(private readonly deps: KafkaDeadLettersDeps) {}

  private async reader(group: string): Promise<DeadLetterReader> {
    let reader = this.readers.get(group);
    if (!reader) {
      const topic = this.deps.names.deadLetter(group);
      await this.deps.prepare(topic);
      reader =
        this.readers.get(group) ?? new DeadLetterReader(this.deps.kafka(), topic, group, this.deps.maxWaitTimeMs);
      this.readers.set(group, reader);
    }
    await reader.catchUp(this.deps.admin(), 30_000);
    return reader;
  }

  private async current(group: string): Promise<Letter[]> {
    const reader = await this.reader(group);
    return [...reader.letters.values()].sort((a, b) => a.letter.deadLetteredAt.localeCompare(b.letter.deadLetteredAt));
  }

  async list(group: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    return (await this.current(group)).slice(0, options.limit ?? 1_000).map((l) => l.letter);
  }

  async replay(group: string, ids: string[]): Promise<number> {
    const wanted = new Set(ids);
    const chosen = (await this.current(group)).filter((l) => wanted.has(l.letter.id));
    if (chosen.length === 0) return 0;
    const now = Date.now();
    await this.deps.send(
      chosen.map(({ letter }) => {
        const headers = { ...letter.message.headers };
        delete headers[Header.attempt];
        const message = {
          ...letter.message,
          headers,
          id: letter.id,
          attempt: 1,
          receivedAt: now,
          origin: letter.origin,
        };
        return {
          topic: this.deps.names.retry(group, this.deps.replayLevelMs),
          record: encodeRetryRecord(message, group, 1, now),
        };
      }),
    );
    await this.mark(group, chosen, REPLAYED);
    return chosen.length;
  }

  /** Appends a discard marker for each chosen letter: neither listed nor replayable again. */
  async discard(group: string, ids: string[]): Promise<number> {
    const wanted = new Set(ids);
    const chosen = (await this.current(group)).filter((l) => wanted.has(l.letter.id));
    if (chosen.length === 0) return 0;
    await this.mark(group, chosen, DISCARDED);
    return chosen.length;
  }

  private async mark(group: string, chosen: Letter[], kind: typeof REPLAYED | typeof DISCARDED): Promise<void> {
    const topic = this.deps.names.deadLetter(group);
    await this.deps.send(
      chosen.map(({ position }) => ({ topic, record: { key: null, value: null, headers: { [kind]: position } } })),
    );
  }

  async close(): Promise<void> {
    const readers = [...this.readers.values()];
    this.readers.clear();
    await Promise.allSettled(readers.map((r) => r.close()));
  }
}
