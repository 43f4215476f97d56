/**
 * A poison message is retried with growing delays through the group's retry topics and
 * then dead-lettered, while the messages behind it in the same partition keep flowing.
 * The records on the wire are checked raw: CloudEvents Kafka binding and dead-letter headers.
 */
import { Header } from '@tandem/core';
import { bodyOf, conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { textHeaders } from '../src/codec.js';
import { mockTransport, RecordingKafka, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

describe.skipIf(!broker)('poison message', () => {
  it(
    'is retried with growing delays, then dead-lettered, without holding up its partition',
    { timeout: 90_000 },
    async () => {
      const topic = uniqueName('poison.orders');
      const group = uniqueName('g-poison');
      await broker!.createTopic(`${topic}:1`); // one partition: everything queues behind the poison message
      const { transport } = mockTransport(broker!, { retryLevelsMs: [250, 1_000, 2_000] });
      await transport.connect();
      const delays = [250, 1_000, 2_000];
      const poisonRuns: Array<{ at: number; attempt: number; offset: string | undefined }> = [];
      const others: number[] = [];
      let othersDoneAt = 0;
      const subscription = await transport.subscribe({ topics: [topic], group, concurrency: 4 }, async (m) => {
        const { n } = bodyOf<{ n: number }>(m);
        if (n > 0) {
          others.push(n);
          if (others.length === 200) othersDoneAt = Date.now();
          return { kind: 'ack' };
        }
        poisonRuns.push({ at: Date.now(), attempt: m.attempt, offset: m.origin.offset });
        if (m.attempt <= delays.length)
          return { kind: 'retry', delayMs: delays[m.attempt - 1]!, attempt: m.attempt + 1 };
        return {
          kind: 'dead-letter',
          reason: 'handler-failed',
          error: new Error('cannot price order 0'),
          attempts: m.attempt,
        };
      });
      await subscription.ready;

      const poison = conformanceMessage(topic, { n: 0 }, { key: 'order-0', headers: { 'x-tenant': 'acme' } });
      await transport.publish([poison]);
      await transport.publish(
        Array.from({ length: 200 }, (_, i) => conformanceMessage(topic, { n: i + 1 }, { key: `order-${i + 1}` })),
      );

      let letters: Awaited<ReturnType<typeof transport.deadLetters.list>> = [];
      await eventually(
        'the poison message is dead-lettered',
        async () => {
          letters = await transport.deadLetters.list(group);
          return letters.length > 0;
        },
        30_000,
      );

      expect(poisonRuns.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
      const gaps = poisonRuns.slice(1).map((r, i) => r.at - poisonRuns[i]!.at);
      console.log(`[kafka poison test] gaps between attempts: ${gaps.join(', ')} ms (asked ${delays.join(', ')})`);
      gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(delays[i]! - 20));
      expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
      expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
      expect(others).toHaveLength(200);
      expect(othersDoneAt).toBeLessThan(poisonRuns.at(-1)!.at); // the partition flowed while the poison waited

      const [letter] = letters;
      expect(letter).toMatchObject({
        id: poison.headers[Header.id],
        group,
        reason: 'handler-failed',
        attempts: 4,
        origin: { topic, partition: 0, offset: poisonRuns[0]!.offset },
        message: {
          topic,
          key: 'order-0',
          headers: { 'x-tenant': 'acme', [Header.traceparent]: poison.headers[Header.traceparent] },
        },
      });
      expect(letter!.error).toContain('cannot price order 0');

      // The raw records: what any Kafka client sees.
      const raw = new RecordingKafka({ brokers: broker!.bootstrap.split(',') });
      const reader = raw.consumer({ groupId: uniqueName('g-raw'), maxWaitTimeInMs: 100 });
      const records = new Map<string, KafkaMessage[]>();
      await reader.connect();
      await reader.subscribe({ topics: [topic, `${group}.dlq`], fromBeginning: true });
      await reader.run({
        eachMessage: async ({ topic: t, message }) => void records.set(t, [...(records.get(t) ?? []), message]),
      });
      await eventually(
        'raw records read',
        () => (records.get(topic)?.length ?? 0) >= 201 && (records.get(`${group}.dlq`)?.length ?? 0) >= 1,
        20_000,
      );
      await reader.disconnect();

      const event = records.get(topic)![0]!;
      expect(event.key?.toString()).toBe('order-0');
      expect(textHeaders(event.headers)).toMatchObject({
        ce_id: poison.headers[Header.id],
        ce_specversion: '1.0',
        ce_type: 'conformance.checked',
        ce_source: 'conformance',
        'content-type': 'application/json',
        ce_traceparent: poison.headers[Header.traceparent],
        traceparent: poison.headers[Header.traceparent],
        'x-tenant': 'acme',
      });
      const dead = textHeaders(records.get(`${group}.dlq`)![0]!.headers);
      expect(dead).toMatchObject({
        ce_id: poison.headers[Header.id],
        'tandem-group': group,
        'tandem-dead-letter-reason': 'handler-failed',
        'tandem-dead-letter-attempts': '4',
        'tandem-origin-topic': topic,
        'tandem-origin-partition': '0',
        'tandem-origin-offset': poisonRuns[0]!.offset,
      });
      expect(dead['tandem-dead-letter-error']).toContain('cannot price order 0');
      expect(dead['tandem-dead-letter-time']).toMatch(/^\d{4}-\d\d-\d\dT/);
      await transport.close();
    },
  );
});
