/**
 * Creates missing topics through the admin API, once per topic per transport. Off when
 * the cluster does it (auto.create.topics.enable) or cannot (librdkafka's mock cluster).
 */
import { BrokerError } from '@tandem/core';
import type { Admin } from 'kafkajs';

export class TopicCreator {
  private readonly known = new Map<string, Promise<void>>();

  constructor(
    private readonly admin: Admin | undefined,
    private readonly defaults: { numPartitions: number; replicationFactor: number },
  ) {}

  async ensure(topics: Iterable<string>): Promise<void> {
    const admin = this.admin;
    if (!admin) return;
    const missing = [...new Set(topics)].filter((t) => !this.known.has(t));
    if (missing.length > 0) {
      const creation = admin
        .createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: this.defaults.numPartitions,
            replicationFactor: this.defaults.replicationFactor,
          })),
        })
        .then(
          () => undefined,
          (cause: unknown) => {
            if (isAlreadyExists(cause)) return;
            for (const t of missing) this.known.delete(t);
            throw new BrokerError(
              `kafka: creating topic(s) ${missing.join(', ')} failed: ${(cause as Error).message}; create them yourself and set createTopics: false`,
              { cause },
            );
          },
        );
      for (const t of missing) this.known.set(t, creation);
    }
    await Promise.all([...new Set(topics)].map((t) => this.known.get(t)));
  }
}

function isAlreadyExists(error: unknown): boolean {
  const e = error as { type?: string; errors?: Array<{ type?: string }> };
  if (e.type === 'TOPIC_ALREADY_EXISTS') return true;
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((x) => x.type === 'TOPIC_ALREADY_EXISTS');
}
