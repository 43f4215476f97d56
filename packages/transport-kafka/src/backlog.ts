/**
 * How many records wait for a consumer group (BrokerTransport.backlog, the console's lag):
 * over every partition of the group's topics, the end offset minus the group's committed
 * offset. The group's topics are its retry topics (a retry waits there for this group
 * only, due or not) and its event topics: those a subscription in this process reads (now
 * or earlier). A process that has not consumed as the group (the CLI, an operator's tool)
 * does not know them, so it asks for the group's committed offsets on every topic of the
 * cluster and takes those the group has committed on: dearer (one offset fetch naming
 * every topic), and blind to an event topic the group has never committed on.
 *
 * A partition the group has committed nothing on counts from where the group would start
 * reading it: the oldest retained record with `fromBeginning` (the default), nothing
 * without. A committed offset older than the oldest retained record counts from that record.
 * Kafka cannot see into a consumer: records fetched and still being handled, or handled
 * less than `commitIntervalMs` ago, are past the committed offset and so count as waiting.
 */
import { ConfigError } from '@tandem/core';
import type { Admin } from 'kafkajs';
import type { KafkaTopicNames } from './names.js';

export interface GroupBacklogDeps {
  admin: () => Admin;
  names: KafkaTopicNames;
  retryLevelsMs: readonly number[];
  fromBeginning: boolean;
  /** The Kafka event topics this process's subscriptions of the group read. */
  subscribedTopics: (group: string) => readonly string[];
}

export async function groupBacklog(deps: GroupBacklogDeps, group: string): Promise<number> {
  const admin = deps.admin();
  const retryTopics = deps.retryLevelsMs.map((level) => deps.names.retry(group, level));
  const existing = new Set(await admin.listTopics());
  // A group's retry topics are made when it first subscribes (as replay checks, group-delivery.ts).
  if (!existing.has(retryTopics[0]!))
    throw new ConfigError(
      `kafka: no consumer group '${group}': its retry topic ${retryTopics[0]} does not exist; has it ever run? ` +
        `Start the app that consumes as '${group}' once (it creates its topics), then ask again`,
    );
  const subscribed = deps.subscribedTopics(group);
  // Internal topics (`__consumer_offsets`) hold no group's events.
  const candidates = subscribed.length > 0 ? subscribed : [...existing].filter((topic) => !topic.startsWith('__'));
  const named = [...new Set([...retryTopics, ...candidates])].filter((topic) => existing.has(topic));
  const committed = new Map<string, bigint>();
  const topics = new Set([...retryTopics, ...subscribed].filter((topic) => existing.has(topic)));
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId: group, topics: named }))
    for (const { partition, offset } of partitions) {
      committed.set(`${topic}:${partition}`, BigInt(offset));
      if (BigInt(offset) >= 0n) topics.add(topic);
    }
  let waiting = 0n;
  for (const topic of topics) {
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      const end = BigInt(high);
      const oldest = BigInt(low);
      const mark = committed.get(`${topic}:${partition}`) ?? -1n;
      // -1: nothing committed on this partition.
      const from = mark < 0n ? (deps.fromBeginning ? oldest : end) : mark < oldest ? oldest : mark;
      if (end > from) waiting += end - from;
    }
  }
  return Number(waiting);
}
