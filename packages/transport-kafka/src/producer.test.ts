import { BrokerError } from '@tandem/core';
import type { Producer, ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BatchingProducer, type TopicRecord } from './producer.js';

/** Records what would have been sent; `fail` makes the next sendBatch reject. */
function fakeProducer() {
  const batches: ProducerBatch[] = [];
  const answers: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const producer = {
    sendBatch(batch: ProducerBatch) {
      batches.push(batch);
      return new Promise<void>((resolve, reject) => answers.push({ resolve, reject }));
    },
  } as unknown as Producer;
  return { producer, batches, answers };
}

const rec = (topic: string, n: number): TopicRecord => ({
  topic,
  record: { key: `k${n}`, value: Buffer.from(String(n)) },
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchingProducer', () => {
  it('joins records sent in the same tick into one acks=all batch, grouped by topic', async () => {
    const { producer, batches, answers } = fakeProducer();
    const batching = new BatchingProducer(producer, { lingerMs: 0, maxBatchMessages: 100 });
    const first = batching.send([rec('a', 1), rec('b', 2)]);
    const second = batching.send([rec('a', 3)]);
    await tick();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.acks).toBe(-1);
    expect(batches[0]!.topicMessages!.map((t) => [t.topic, t.messages.map((m) => m.key)])).toEqual([
      ['a', ['k1', 'k3']],
      ['b', ['k2']],
    ]);
    answers[0]!.resolve();
    await expect(Promise.all([first, second])).resolves.toBeDefined();
  });

  it('keeps one batch in flight and sends what queued meanwhile as the next batch', async () => {
    const { producer, batches, answers } = fakeProducer();
    const batching = new BatchingProducer(producer, { lingerMs: 0, maxBatchMessages: 100 });
    const first = batching.send([rec('a', 1)]);
    await tick();
    const second = batching.send([rec('a', 2)]);
    const third = batching.send([rec('a', 3)]);
    await tick();
    expect(batches).toHaveLength(1);
    answers[0]!.resolve();
    await first;
    expect(batches).toHaveLength(2);
    expect(batches[1]!.topicMessages![0]!.messages).toHaveLength(2);
    answers[1]!.resolve();
    await Promise.all([second, third]);
  });

  it('waits out lingerMs for more records while idle', async () => {
    const { producer, batches, answers } = fakeProducer();
    const batching = new BatchingProducer(producer, { lingerMs: 20, maxBatchMessages: 100 });
    const first = batching.send([rec('a', 1)]);
    await tick();
    const second = batching.send([rec('a', 2)]);
    expect(batches).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.topicMessages![0]!.messages).toHaveLength(2);
    answers[0]!.resolve();
    await Promise.all([first, second]);
  });

  it('sends what callers publish on being answered on the next tick, together, without a new linger', async () => {
    const { producer, batches, answers } = fakeProducer();
    const batching = new BatchingProducer(producer, { lingerMs: 60_000, maxBatchMessages: 3 });
    const again: Array<Promise<void>> = [];
    const answered = (n: number) => () => {
      again.push(batching.send([rec('a', n)]));
    };
    const first = batching.send([rec('a', 1), rec('a', 2), rec('a', 3)]).then(answered(10)); // full: sent at once
    expect(batches).toHaveLength(1);
    answers[0]!.resolve();
    await first;
    const second = batching.send([rec('a', 11)]);
    expect(batches).toHaveLength(1);
    await tick();
    expect(batches).toHaveLength(2);
    expect(batches[1]!.topicMessages![0]!.messages.map((m) => m.key)).toEqual(['k10', 'k11']);
    answers[1]!.resolve();
    await Promise.all([...again, second]);
  });

  it('sends at once when maxBatchMessages is reached, without splitting one call', async () => {
    const { producer, batches, answers } = fakeProducer();
    const batching = new BatchingProducer(producer, { lingerMs: 60_000, maxBatchMessages: 3 });
    const sent = batching.send([rec('a', 1), rec('a', 2), rec('a', 3), rec('a', 4)]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.topicMessages![0]!.messages).toHaveLength(4);
    answers[0]!.resolve();
    await sent;
  });

  it('rejects every caller of a failed batch with a BrokerError naming the topics', async () => {
    const { producer, answers } = fakeProducer();
    const batching = new BatchingProducer(producer, { lingerMs: 1, maxBatchMessages: 100 });
    const a = batching.send([rec('orders', 1)]);
    const b = batching.send([rec('orders', 2)]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    answers[0]!.reject(new Error('NOT_LEADER_FOR_PARTITION'));
    await expect(a).rejects.toBeInstanceOf(BrokerError);
    await expect(b).rejects.toThrow(/2 record\(s\) for orders: NOT_LEADER_FOR_PARTITION/);
  });

  it('drain() waits for everything handed over', async () => {
    const { producer, answers } = fakeProducer();
    const batching = new BatchingProducer(producer, { lingerMs: 60_000, maxBatchMessages: 100 });
    let done = false;
    void batching.send([rec('a', 1)]).then(() => (done = true));
    const drained = batching.drain();
    await tick();
    answers[0]!.resolve();
    await drained;
    expect(done).toBe(true);
  });
});
