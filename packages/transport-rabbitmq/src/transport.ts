import {
  BrokerError,
  redactCredentials,
  type BrokerTransport,
  type DeadLetterAccess,
  type MessageHandler,
  type OutgoingMessage,
  type PastEvent,
  type Subscription,
  type SubscriptionSpec,
  type TransportHealth,
} from '@tandem/core';
import { groupBacklog } from './backlog.js';
import { encodePublish } from './codec.js';
import { AmqpConnection } from './connection.js';
import { GroupConsumer } from './consumer.js';
import { deadLetterAccess } from './dead-letters.js';
import { resolveOptions, type RabbitMQTransportOptions, type ResolvedOptions } from './options.js';
import { groupDelivery } from './group-delivery.js';
import { Publisher } from './publisher.js';
import { Topology, type DeclaredNames } from './topology.js';

/**
 * Tandem's RabbitMQ transport. Events go to one topic exchange with their topic as the
 * routing key; each consumer group has a durable queue bound by the topics it handles,
 * delay queues for retries and a dead-letter queue (see topology.ts). Order is kept per
 * key within a consuming process; across processes RabbitMQ's competing consumers share
 * a group's queue.
 */
export class RabbitMQTransport implements BrokerTransport {
  readonly name = 'rabbitmq';
  readonly capabilities = { orderedByKey: true, nativeDelay: true, persistent: true };
  readonly deadLetters: DeadLetterAccess;
  /** Past events to one group's queue only (`tandem replay`), ids unchanged, confirmed in order. */
  readonly deliverTo: (group: string, events: readonly PastEvent[]) => Promise<void>;
  /**
   * Messages waiting for a group: ready in its queue or waiting in its delay queues
   * (backlog.ts). Rejects with a ConfigError when the group has no queue on the broker.
   */
  readonly backlog: (group: string) => Promise<number>;
  private readonly options: ResolvedOptions;
  private readonly connection: AmqpConnection;
  private readonly topology: Topology;
  private readonly publisher: Publisher;
  private readonly consumers = new Set<GroupConsumer>();
  private state: 'new' | 'open' | 'closed' = 'new';
  private readonly redeclare = (model: Parameters<Topology['redeclare']>[0]) => this.topology.redeclare(model);

  constructor(options: RabbitMQTransportOptions = {}) {
    this.options = resolveOptions(options);
    this.connection = new AmqpConnection(this.options);
    this.topology = new Topology(this.options);
    this.publisher = new Publisher(this.connection, this.topology, this.options);
    this.deadLetters = deadLetterAccess(this.connection, this.topology, this.publisher, this.options);
    this.deliverTo = groupDelivery(this.connection, this.topology, this.publisher, this.options);
    this.backlog = groupBacklog(this.connection, this.topology, this.options);
  }

  async connect(): Promise<void> {
    if (this.state === 'open') return;
    await this.connection.addAttacher(this.redeclare);
    await this.connection.open();
    await this.publisher.start();
    this.state = 'open';
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    if (this.state !== 'open') throw this.notOpen('publish');
    const { exchange } = this.options.names;
    const { mandatory, contentMode } = this.options;
    await this.publisher.send(messages.map((message) => encodePublish(message, exchange, mandatory, contentMode)));
  }

  async subscribe(spec: SubscriptionSpec, handle: MessageHandler): Promise<Subscription> {
    if (this.state !== 'open') throw this.notOpen('subscribe');
    const consumer = new GroupConsumer(this.connection, this.topology, this.publisher, this.options, spec, handle);
    await consumer.start();
    this.consumers.add(consumer);
    return {
      ready: consumer.ready,
      close: async () => {
        this.consumers.delete(consumer);
        await consumer.close();
      },
    };
  }

  health(): TransportHealth {
    const { state, blockedReason, lastError } = this.connection;
    const url = this.options.displayUrl;
    if (state === 'connected' && blockedReason !== undefined)
      return { ok: false, detail: `connected to ${url} but blocked by the broker: ${blockedReason}` };
    if (state === 'connected') return { ok: true, detail: `connected to ${url}` };
    return { ok: false, detail: `${state} (${url})${lastError ? `: ${redactCredentials(lastError.message)}` : ''}` };
  }

  /** The exchange and queues this transport has declared so far (for operators and clean-up). */
  declared(): DeclaredNames {
    return this.topology.declared();
  }

  /** Closes subscriptions (in-flight handlers finish and are settled), waits for publish confirms, then disconnects. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const consumers = [...this.consumers];
    this.consumers.clear();
    await Promise.all(consumers.map((consumer) => consumer.close()));
    await this.publisher.close();
    await this.connection.close();
  }

  /**
   * Simulates this process dying, for tests: handlers still running are never settled and
   * the connection drops, so RabbitMQ hands their messages to the group's other consumers.
   */
  async crash(): Promise<void> {
    this.state = 'closed';
    for (const consumer of this.consumers) consumer.kill();
    this.consumers.clear();
    await this.connection.close();
    // Publishes in flight were rejected with the connection; this only stops the publisher's timer.
    await this.publisher.close();
  }

  private notOpen(what: string): BrokerError {
    return new BrokerError(
      this.state === 'closed'
        ? `rabbitmq transport is closed: ${what} after close() is not possible`
        : `rabbitmq transport is not connected: call connect() before ${what}()`,
    );
  }
}

/** A RabbitMQ transport; `rabbitmqTransport({ url: 'amqp://user:pass@host/vhost' })`. */
export function rabbitmqTransport(options: RabbitMQTransportOptions = {}): RabbitMQTransport {
  return new RabbitMQTransport(options);
}

/** The factory `fromEnv()` loads for `amqp://` and `amqps://` URLs. */
export function brokerFromUrl(url: URL | string, extra: Omit<RabbitMQTransportOptions, 'url'> = {}): RabbitMQTransport {
  return new RabbitMQTransport({ url, ...extra });
}
