import { BrokerError } from '@tandem/core';
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TopicCreator } from './topics.js';

const defaults = { numPartitions: 3, replicationFactor: 1 };

/** An admin whose createTopics records the topics asked for and answers as `answer` says. */
function fakeAdmin(answer: () => Promise<boolean> = () => Promise.resolve(true)) {
  const asked: string[][] = [];
  const admin = {
    createTopics({ topics }: { topics: Array<{ topic: string }> }) {
      asked.push(topics.map((t) => t.topic));
      return answer();
    },
  } as unknown as Admin;
  return { admin, asked };
}

const records = (...topics: string[]) => topics.map((topic) => ({ topic }));

describe('TopicCreator.ensureFor', () => {
  it('has nothing to wait for when topic creation is off', () => {
    expect(new TopicCreator(undefined, defaults).ensureFor(records('a'))).toBeUndefined();
  });

  it('creates the missing topics once, then has nothing to wait for', async () => {
    const { admin, asked } = fakeAdmin();
    const topics = new TopicCreator(admin, defaults);
    await topics.ensureFor(records('a', 'b', 'a'));
    expect(asked).toEqual([['a', 'b']]);
    expect(topics.ensureFor(records('b', 'a'))).toBeUndefined();
    await topics.ensureFor(records('a', 'c'));
    expect(asked).toEqual([['a', 'b'], ['c']]);
  });

  it('counts a topic that already exists as created', async () => {
    const exists = Object.assign(new Error('exists'), { type: 'TOPIC_ALREADY_EXISTS' });
    const { admin } = fakeAdmin(() => Promise.reject(exists));
    const topics = new TopicCreator(admin, defaults);
    await topics.ensureFor(records('a'));
    expect(topics.ensureFor(records('a'))).toBeUndefined();
  });

  it('waits while a creation is under way and asks again after one failed', async () => {
    let fail = true;
    const { admin, asked } = fakeAdmin(() => (fail ? Promise.reject(new Error('denied')) : Promise.resolve(true)));
    const topics = new TopicCreator(admin, defaults);
    await expect(topics.ensureFor(records('a'))).rejects.toBeInstanceOf(BrokerError);
    fail = false;
    const again = topics.ensureFor(records('a'));
    expect(again).toBeInstanceOf(Promise);
    await again;
    expect(asked).toEqual([['a'], ['a']]);
    expect(topics.ensureFor(records('a'))).toBeUndefined();
  });
});
