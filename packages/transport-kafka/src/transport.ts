/**
 * The Kafka broker transport on kafkajs: an idempotent producer with bounded batching,
 * one consumer per subscription (consumer group), per-group retry topics by delay level
 * and a per-group dead-letter topic. See README.md for names, settings and guarantees.
 */
import { randomBytes } from 'node:crypto';
import {
  BrokerError,
  ConfigError,
  contentModeOf,
  createLogger,
  type BrokerTransport,
  type LogLevel,
  type MessageHandler,
  type OutgoingMessage,
  type PastEvent,
  type Subscription,
  type SubscriptionSpec,
  type TransportCapabilities,
  type TransportHealth,
} from '@tandem/core';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { groupBacklog } from './backlog.js';
import { encodeEventRecord } from './codec.js';
import { KafkaDeadLetters } from './dead-letters.js';
import { DispositionWriter } from './dispositions.js';
import { ExclusiveLane } from './exclusive-lane.js';
import { GroupConsumer } from './group-consumer.js';
import { KafkaGroupDelivery } from './group-delivery.js';
import { KafkaHistory } from './history.js';
import { kafkaLogCreator } from './log.js';
import { defaultTopicNames, DEFAULT_RETRY_LEVELS_MS, normaliseLevels } from './names.js';
import type { KafkaTransportOptions, ResolvedKafkaOptions } from './options.js';
import { BatchingProducer, type TopicRecord } from './producer.js';
import { kafkaStartError } from './start-errors.js';
import { TopicCreator } from './topics.js';

/**
 * Longest a delivery that must run alone (crash-guard.ts) waits for running handlers, and
 * longest the others wait for it: a hung handler slows a crash-loop check, never stops the process.
 */
const LONE_PATIENCE_MS = 30_000;

function resolveOptions(options: KafkaTransportOptions): ResolvedKafkaOptions {
  const names = { ...defaultTopicNames(options.topicPrefix), ...options.names };
  return {
    names,
    createTopics: options.createTopics ?? true,
    idempotent: options.idempotent ?? true,
    topicDefaults: {
      numPartitions: options.topicDefaults?.numPartitions ?? -1,
      replicationFactor: options.topicDefaults?.replicationFactor ?? -1,
    },
    lingerMs: options.lingerMs ?? 2,
    maxBatchMessages: options.maxBatchMessages ?? 1_000,
    retryLevelsMs: normaliseLevels(options.retryLevelsMs ?? DEFAULT_RETRY_LEVELS_MS),
    fromBeginning: options.fromBeginning ?? true,
    maxBufferedMessages: options.maxBufferedMessages ?? 10_000,
    commitIntervalMs: options.commitIntervalMs ?? 100,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 200,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
    closeTimeoutMs: options.closeTimeoutMs ?? 15_000,
    dispositionTimeoutMs: options.dispositionTimeoutMs ?? 10_000,
    contentMode: contentModeOf('kafka contentMode', options.contentMode),
    logger: options.logger ?? defaultLogger(),
  };
}

/** The app's default logger's settings, so a transport built from TANDEM_BROKER_URL logs with the app. */
function defaultLogger() {
  const level = process.env.TANDEM_LOG_LEVEL as LogLevel | undefined;
  return createLogger({ level: level ?? 'info' });
}

/** The Kafka broker transport (kafka://), on librdkafka. */
export class KafkaTransport implements BrokerTransport {
  readonly name = 'kafka';
  readonly capabilities: TransportCapabilities = { orderedByKey: true, nativeDelay: true, persistent: true };
  readonly deadLetters: KafkaDeadLetters;
  /** The event topics themselves, read by timestamp: what `tandem replay` reads on Kafka. */
  readonly history: KafkaHistory;
  private readonly groupDelivery: KafkaGroupDelivery;

  private readonly options: ResolvedKafkaOptions;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private batching: BatchingProducer | undefined;
  private admin: Admin | undefined;
  private topics: TopicCreator | undefined;
  private writer: DispositionWriter | undefined;
  private readonly subscriptions = new Set<GroupConsumer>();
  /** Kafka event topics per group that subscribed in this process, closed or not: what backlog() counts. */
  private readonly groupTopics = new Map<string, Set<string>>();
  private readonly lane = new ExclusiveLane(LONE_PATIENCE_MS, (what) =>
    this.options.logger
      .child({ transport: 'kafka' })
      .warn(
        { patienceMs: LONE_PATIENCE_MS },
        what === 'waited'
          ? 'kafka: a delivery that must run alone waited too long for running handlers; it goes ahead of them'
          : 'kafka: a delivery running alone has not finished; the other handlers go on beside it',
      ),
  );
  private readonly instance = randomBytes(6).toString('hex');
  private state: 'new' | 'connecting' | 'open' | 'closing' | 'closed' = 'new';
  private connecting: Promise<void> | undefined;
  private closed: Promise<void> | undefined;

  /** Named in connect() errors: where the brokers were configured. */
  private readonly setting: string;
  private readonly brokers: readonly string[] | undefined;

  constructor(raw: KafkaTransportOptions) {
    this.options = resolveOptions(raw);
    this.setting = raw.setting ?? 'kafka brokers';
    this.brokers = raw.brokers;
    if (raw.client) this.kafka = raw.client;
    else {
      if (!raw.brokers || raw.brokers.length === 0)
        throw new ConfigError('kafka transport: give brokers (e.g. ["localhost:9092"]) or a kafkajs client');
      this.kafka = new Kafka({
        clientId: 'tandem',
        logLevel: logLevel.WARN,
        logCreator: kafkaLogCreator(this.options.logger.child({ transport: 'kafka' })),
        ...raw.kafka,
        ...(raw.clientId !== undefined ? { clientId: raw.clientId } : {}),
        brokers: raw.brokers,
        ...(raw.ssl !== undefined ? { ssl: raw.ssl } : {}),
        ...(raw.sasl !== undefined ? { sasl: raw.sasl } : {}),
      });
    }
    this.deadLetters = new KafkaDeadLetters({
      kafka: () => this.kafka,
      admin: () => this.requireOpen().admin,
      send: (records) => this.send(records),
      names: this.options.names,
      replayLevelMs: this.options.retryLevelsMs[0]!,
      maxWaitTimeMs: this.options.maxWaitTimeMs,
      prepare: (topic) => this.requireOpen().topics.ensure([topic]),
    });
    this.history = new KafkaHistory({
      kafka: () => this.kafka,
      admin: () => this.requireOpen().admin,
      names: this.options.names,
      maxWaitTimeMs: this.options.maxWaitTimeMs,
    });
    this.groupDelivery = new KafkaGroupDelivery({
      admin: () => this.requireOpen().admin,
      send: (records) => this.send(records),
      names: this.options.names,
      replayLevelMs: this.options.retryLevelsMs[0]!,
    });
  }

  connect(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed')
      return Promise.reject(new BrokerError('kafka transport: connect() after close(); create a new transport'));
    this.connecting ??= this.open();
    return this.connecting;
  }

  private async open(): Promise<void> {
    this.state = 'connecting';
    const producer = this.kafka.producer({
      // kafkajs's default (Java-compatible murmur2), named so kafkajs does not log its v2 migration warning.
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: this.options.idempotent,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
    });
    const admin = this.kafka.admin();
    try {
      await Promise.all([producer.connect(), admin.connect()]);
    } catch (cause) {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      this.connecting = undefined;
      this.state = 'new';
      throw kafkaStartError(cause, this.setting, this.brokers);
    }
    this.producer = producer;
    this.admin = admin;
    this.batching = new BatchingProducer(producer, {
      lingerMs: this.options.lingerMs,
      maxBatchMessages: this.options.maxBatchMessages,
    });
    this.topics = new TopicCreator(this.options.createTopics ? admin : undefined, this.options.topicDefaults);
    this.writer = new DispositionWriter(
      (records) => this.send(records),
      this.options.names,
      this.options.retryLevelsMs,
      this.options.logger.child({ transport: 'kafka' }),
    );
    this.state = 'open';
  }

  private requireOpen(): { batching: BatchingProducer; admin: Admin; topics: TopicCreator; writer: DispositionWriter } {
    if (this.state === 'closed')
      throw new BrokerError('kafka transport is closed; create a new one to publish or subscribe');
    if (!this.batching || !this.admin || !this.topics || !this.writer)
      throw new BrokerError('kafka transport is not connected; call connect() first');
    return { batching: this.batching, admin: this.admin, topics: this.topics, writer: this.writer };
  }

  /** Sends records to Kafka topics as they are (retry, dead-letter and replay records use it too). */
  private async send(records: TopicRecord[]): Promise<void> {
    const { batching, topics } = this.requireOpen();
    const creating = topics.ensureFor(records);
    if (creating) await creating;
    await batching.send(records);
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed')
      throw new BrokerError('kafka transport is closed; publish before close() or create a new transport');
    const { names, contentMode } = this.options;
    await this.send(messages.map((m) => ({ topic: names.event(m.topic), record: encodeEventRecord(m, contentMode) })));
  }

  /**
   * Records waiting for `group`: end offset minus committed offset over its event and retry
   * topics (backlog.ts). Rejects with a ConfigError when the group has never run.
   */
  async backlog(group: string): Promise<number> {
    const { admin } = this.requireOpen();
    return groupBacklog(
      {
        admin: () => admin,
        names: this.options.names,
        retryLevelsMs: this.options.retryLevelsMs,
        fromBeginning: this.options.fromBeginning,
        subscribedTopics: (g) => [...(this.groupTopics.get(g) ?? [])],
      },
      group,
    );
  }

  /** Past events to `group` only, through its shortest retry topic, due at once (group-delivery.ts). */
  deliverTo(group: string, events: readonly PastEvent[]): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed')
      return Promise.reject(
        new BrokerError('kafka transport is closed; replay before close() or create a new transport'),
      );
    return this.groupDelivery.deliverTo(group, events);
  }

  async subscribe(spec: SubscriptionSpec, handle: MessageHandler): Promise<Subscription> {
    const { topics, writer, admin } = this.requireOpen();
    if (this.state !== 'open') throw new BrokerError('kafka transport is closing; subscribe before close()');
    const names = this.options.names;
    const eventTopics = new Map(spec.topics.map((t) => [names.event(t), t] as const));
    const retryTopics = this.options.retryLevelsMs.map((level) => names.retry(spec.group, level));
    await topics.ensure([...eventTopics.keys(), ...retryTopics]);
    let known = this.groupTopics.get(spec.group);
    if (!known) this.groupTopics.set(spec.group, (known = new Set()));
    for (const topic of eventTopics.keys()) known.add(topic);
    const consumer = new GroupConsumer(
      { group: spec.group, eventTopics, retryTopics, concurrency: spec.concurrency },
      handle,
      {
        kafka: this.kafka,
        admin: () => admin,
        options: this.options,
        writer,
        lane: this.lane,
        instance: this.instance,
        log: this.options.logger.child({ transport: 'kafka', group: spec.group }),
      },
    );
    this.subscriptions.add(consumer);
    try {
      await consumer.start();
    } catch (cause) {
      this.subscriptions.delete(consumer);
      await consumer.close().catch(() => undefined);
      throw new BrokerError(
        `kafka: subscribing group ${spec.group} to ${spec.topics.join(', ')} failed: ${(cause as Error).message}`,
        { cause },
      );
    }
    return {
      ready: consumer.ready,
      close: async () => {
        this.subscriptions.delete(consumer);
        await consumer.close();
      },
    };
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.state = 'closing';
      await this.connecting?.catch(() => undefined);
      const subscriptions = [...this.subscriptions];
      this.subscriptions.clear();
      await Promise.allSettled(subscriptions.map((s) => s.close()));
      await this.deadLetters.close();
      await this.history.close();
      await this.batching?.drain();
      await Promise.allSettled([this.producer?.disconnect(), this.admin?.disconnect()]);
      this.state = 'closed';
    })();
    return this.closed;
  }

  health(): TransportHealth {
    if (this.state !== 'open') return { ok: false, detail: `kafka transport is ${this.state}` };
    const down = [...this.subscriptions].map((s) => s.down).filter((d) => d !== undefined);
    return down.length === 0 ? { ok: true } : { ok: false, detail: down.join('; ') };
  }
}
