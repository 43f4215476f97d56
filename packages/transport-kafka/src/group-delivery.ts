/**
 * Delivers past events to one consumer group only: through the group's shortest retry
 * topic, due at once, as first attempts with their ids unchanged (as a replayed dead letter
 * goes, dead-letters.ts). Only that group reads its retry topics; a record of one key goes
 * to one retry partition, in the order given, so the group handles a key's events in order.
 */
import { ConfigError, Header, type IncomingMessage, type PastEvent } from '@tandem/core';
import type { Admin } from 'kafkajs';
import { encodeRetryRecord } from './codec.js';
import type { SendRecords } from './dispositions.js';
import type { KafkaTopicNames } from './names.js';

export interface GroupDeliveryDeps {
  admin: () => Admin;
  send: SendRecords;
  names: KafkaTopicNames;
  /** The shortest retry level (ms): the retry topic replayed events go to. */
  replayLevelMs: number;
}

/** The message a group's consumer will see: attempt 1, its id, from its Tandem topic. */
export function replayedMessage(event: PastEvent, now: number): IncomingMessage {
  const headers = { ...event.message.headers };
  delete headers[Header.attempt];
  return {
    ...event.message,
    headers,
    id: event.id,
    attempt: 1,
    receivedAt: now,
    origin: { topic: event.message.topic },
  };
}

export class KafkaGroupDelivery {
  /** Groups whose retry topic was seen: checked once per transport. */
  private readonly known = new Set<string>();

  constructor(private readonly deps: GroupDeliveryDeps) {}

  async deliverTo(group: string, events: readonly PastEvent[]): Promise<void> {
    const topic = this.deps.names.retry(group, this.deps.replayLevelMs);
    await this.checkGroup(group, topic);
    if (events.length === 0) return;
    const now = Date.now();
    await this.deps.send(
      events.map((event) => ({ topic, record: encodeRetryRecord(replayedMessage(event, now), group, 1, now) })),
    );
  }

  /**
   * A group's retry topics are made when it first subscribes; without them the group never
   * ran. Nothing is created for it: a replay to a misspelt group must not make one up.
   */
  private async checkGroup(group: string, topic: string): Promise<void> {
    if (this.known.has(group)) return;
    const topics = await this.deps.admin().listTopics();
    if (!topics.includes(topic))
      throw new ConfigError(
        `kafka: no consumer group '${group}': its retry topic ${topic} does not exist; has it ever run? ` +
          `Start the app that consumes as '${group}' once (it creates its topics), then replay to it`,
      );
    this.known.add(group);
  }
}
