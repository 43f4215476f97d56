/**
 * Creates missing topics through the admin API, once per topic per transport. Off when
 * the cluster does it (auto.create.topics.enable) or cannot (librdkafka's mock cluster).
 */
import { BrokerError } from '@tandem/core';
import type { Admin } from 'kafkajs';

export class TopicCreator {
  private readonly known = new Map<string, Promise<void>>();
  /** Topics whose creation has finished (or that already existed). */
  private readonly created = new Set<string>();

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
          () => this.markCreated(missing),
          (cause: unknown) => {
            if (isAlreadyExists(cause)) return this.markCreated(missing);
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

  /**
   * `ensure` for the topics of `records`, or undefined when there is nothing to wait for
   * (creation is off, or every topic exists already): publishing, which calls this for every
   * batch, then neither builds a topic list nor waits a turn.
   */
  ensureFor(records: readonly { topic: string }[]): Promise<void> | undefined {
    if (!this.admin) return undefined;
    for (const { topic } of records) {
      if (!this.created.has(topic)) return this.ensure(records.map((r) => r.topic));
    }
    return undefined;
  }

  private markCreated(topics: readonly string[]): void {
    for (const t of topics) this.created.add(t);
  }
}

function isAlreadyExists(error: unknown): boolean {
  const e = error as { type?: string; errors?: Array<{ type?: string }> };
  if (e.type === 'TOPIC_ALREADY_EXISTS') return true;
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((x) => x.type === 'TOPIC_ALREADY_EXISTS');
}
