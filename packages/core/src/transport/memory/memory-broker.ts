import { BrokerError, ConfigError } from '../../errors/errors.js';
import type { PastEvent } from '../../replay/history.js';
import { Header } from '../../messages/headers.js';
import { uuidv7 } from '../../messages/uuid.js';
import type {
  BrokerTransport,
  DeadLetterAccess,
  MessageHandler,
  OutgoingMessage,
  Subscription,
  SubscriptionSpec,
} from '../broker.js';
import { MemoryGroup, type MemoryConsumer } from './memory-group.js';

/**
 * The in-process broker: topics and consumer groups inside one Node.js process. Every
 * group that subscribed to a topic gets each message published to it; consumers in one
 * group compete; one key is handled in order. Nothing survives the process, which is
 * what `capabilities.persistent: false` says. Several transports attached to one
 * MemoryBroker behave like several processes connected to one broker.
 */
export class MemoryBroker {
  private readonly groups = new Map<string, MemoryGroup>();
  private readonly topicGroups = new Map<string, Set<MemoryGroup>>();
  private sequence = 0;

  private static readonly named = new Map<string, MemoryBroker>();

  /** The broker that `memory://name` URLs share in this process ('' for plain `memory://`). */
  static shared(name = ''): MemoryBroker {
    let broker = MemoryBroker.named.get(name);
    if (!broker) MemoryBroker.named.set(name, (broker = new MemoryBroker()));
    return broker;
  }

  group(name: string): MemoryGroup {
    let group = this.groups.get(name);
    if (!group) this.groups.set(name, (group = new MemoryGroup(name)));
    return group;
  }

  /** The group when some consumer ever subscribed to it on this broker. */
  existingGroup(name: string): MemoryGroup | undefined {
    return this.groups.get(name);
  }

  bind(group: MemoryGroup, topics: string[]): void {
    for (const topic of topics) {
      group.topics.add(topic);
      let set = this.topicGroups.get(topic);
      if (!set) this.topicGroups.set(topic, (set = new Set()));
      set.add(group);
    }
  }

  publish(messages: OutgoingMessage[]): void {
    for (const message of messages) {
      const groups = this.topicGroups.get(message.topic);
      if (!groups) continue;
      const offset = String(this.sequence++);
      // A published message is a first attempt whatever its headers say: retries are carried
      // inside the broker (MemoryGroup.settle), never through publish, so a producer's
      // tandem-attempt cannot make a message skip its retries.
      const headers = { ...message.headers };
      delete headers[Header.attempt];
      for (const group of groups) {
        group.enqueue({
          topic: message.topic,
          ...(message.key !== undefined ? { key: message.key } : {}),
          headers: { ...headers },
          body: message.body,
          id: message.headers[Header.id] ?? uuidv7(),
          attempt: 1,
          deliveryCount: 1,
          receivedAt: 0,
          origin: { topic: message.topic, offset },
        });
      }
    }
  }

  /** Stops pending retry timers; used when the last transport on this broker closes. */
  stopTimers(): void {
    for (const group of this.groups.values()) group.stopTimers();
  }
}

/** Options of the in-process broker: which shared broker and retry settings. */
export interface MemoryTransportOptions {
  /** Defaults to the process-wide shared broker. */
  broker?: MemoryBroker;
}

/** The in-process broker transport (memory://): events stay in this process; for tests and single-process apps. */
export class MemoryTransport implements BrokerTransport {
  readonly name = 'memory';
  readonly capabilities = { orderedByKey: true, nativeDelay: false, persistent: false };
  readonly broker: MemoryBroker;
  readonly deadLetters: DeadLetterAccess;
  private readonly consumers = new Map<MemoryConsumer, MemoryGroup>();
  private closed = false;

  /** Messages waiting for the group's consumers (see BrokerTransport.backlog). */
  backlog(group: string): Promise<number> {
    return Promise.resolve(this.broker.group(group).waiting);
  }

  constructor(options: MemoryTransportOptions = {}) {
    this.broker = options.broker ?? MemoryBroker.shared();
    const broker = this.broker;
    this.deadLetters = {
      async list(group, options = {}) {
        return broker.group(group).deadLetters.slice(0, options.limit ?? Infinity);
      },
      async replay(group, ids) {
        const letters = broker.group(group).deadLetters;
        let replayed = 0;
        for (const id of ids) {
          const index = letters.findIndex((letter) => letter.id === id);
          if (index < 0) continue;
          const [letter] = letters.splice(index, 1);
          const headers = { ...letter!.message.headers };
          delete headers[Header.attempt];
          // Replay goes to this group only, as a fresh first attempt.
          broker.group(group).enqueue({
            ...letter!.message,
            headers,
            id: letter!.id,
            attempt: 1,
            deliveryCount: 1,
            receivedAt: 0,
            origin: letter!.origin,
          });
          replayed++;
        }
        return replayed;
      },
      async discard(group, ids) {
        const letters = broker.group(group).deadLetters;
        const chosen = new Set(ids);
        const kept = letters.filter((letter) => !chosen.has(letter.id));
        const discarded = letters.length - kept.length;
        letters.splice(0, letters.length, ...kept);
        return discarded;
      },
    };
  }

  async connect(): Promise<void> {
    this.closed = false;
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new BrokerError('memory transport is closed: publish after close() is not possible');
    this.broker.publish(messages);
  }

  async deliverTo(group: string, events: readonly PastEvent[]): Promise<void> {
    const target = this.broker.existingGroup(group);
    if (!target)
      throw new ConfigError(
        `memory broker: no consumer group '${group}' has subscribed in this process; start the app that runs it first`,
      );
    for (const { id, message } of events) {
      const headers = { ...message.headers };
      delete headers[Header.attempt];
      target.enqueue({
        topic: message.topic,
        ...(message.key !== undefined ? { key: message.key } : {}),
        headers,
        body: message.body,
        id: id || uuidv7(),
        attempt: 1,
        deliveryCount: 1,
        receivedAt: 0,
        origin: { topic: message.topic },
      });
    }
  }

  async subscribe(spec: SubscriptionSpec, handle: MessageHandler): Promise<Subscription> {
    if (this.closed) throw new BrokerError('memory transport is closed: subscribe after close() is not possible');
    const group = this.broker.group(spec.group);
    this.broker.bind(group, spec.topics);
    const consumer: MemoryConsumer = {
      handle,
      concurrency: spec.concurrency,
      inFlight: new Set(),
      draining: false,
      dead: false,
    };
    this.consumers.set(consumer, group);
    group.attach(consumer);
    return {
      ready: Promise.resolve(),
      close: async () => {
        if (!this.consumers.delete(consumer)) return;
        await group.detach(consumer);
      },
    };
  }

  /**
   * Simulates this process dying: consumers vanish without settling what they were
   * handling, so the group delivers those messages again to its other consumers.
   */
  crash(): void {
    for (const [consumer, group] of this.consumers) group.kill(consumer);
    this.consumers.clear();
    this.closed = true;
  }

  async close(): Promise<void> {
    const closing = [...this.consumers].map(([consumer, group]) => group.detach(consumer));
    this.consumers.clear();
    await Promise.all(closing);
    this.closed = true;
  }
}

/** Makes an in-process broker transport (memory://). */
export function memoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  return new MemoryTransport(options);
}
