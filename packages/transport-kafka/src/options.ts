import type { ContentMode, Logger } from '@tandem/core';
import type { Kafka, KafkaConfig, SASLOptions } from 'kafkajs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { KafkaTopicNames } from './names.js';

/** Options of the Kafka transport: brokers, client, topic names, retries. */
export interface KafkaTransportOptions {
  /** Bootstrap brokers, `host:port`. Required unless `client` is given. */
  brokers?: string[];
  /** kafkajs client id (default `tandem`). */
  clientId?: string;
  /** TLS: `true` for the system CAs, or node:tls options (ca, cert, key, servername, ...). */
  ssl?: boolean | TlsOptions;
  /** SASL (plain, scram-sha-256, scram-sha-512, aws, oauthbearer) as kafkajs takes it. */
  sasl?: SASLOptions;
  /** Further kafkajs client settings (timeouts, retry); `brokers`, `ssl` and `sasl` above win. */
  kafka?: Omit<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>;
  /** Use this kafkajs client instead of creating one (the options above are then ignored). */
  client?: Kafka;

  /** Topic names; defaults: `<prefix><topic>`, `<prefix><group>.retry.<level>`, `<prefix><group>.dlq`. */
  names?: Partial<KafkaTopicNames>;
  /** Prefix for the default topic names (e.g. `staging.`). */
  topicPrefix?: string;
  /**
   * Create missing topics with the admin API before publishing to or subscribing to them
   * (default true). Turn off when the cluster forbids it or cannot do it (librdkafka's
   * mock cluster has no CreateTopics: create its topics in the launcher instead).
   */
  createTopics?: boolean;
  /** Partitions and replication for topics this transport creates (default: the broker's defaults). */
  topicDefaults?: { numPartitions?: number; replicationFactor?: number };

  /**
   * Idempotent producer (default true): broker-side deduplication of producer retries, so a
   * retried send never writes a record twice or out of order. kafkajs asks the cluster's
   * controller for a producer id; librdkafka's mock cluster names a controller that does
   * not exist, so tests against it turn this off.
   */
  idempotent?: boolean;
  /** Longest a published record waits to join a batch (default 2 ms). */
  lingerMs?: number;
  /** Most records in one produce request (default 1,000). */
  maxBatchMessages?: number;
  /**
   * How published events are written (docs/transports.md, "Content modes"). 'binary' (the
   * default): each CloudEvents attribute is a `ce_` header. 'structured': the event is one
   * `application/cloudevents+json` value, with the key, `content-type`, `ce_id` and W3C
   * `traceparent`/`tracestate` left outside it. Consumers read both; retries and dead
   * letters keep the form received.
   */
  contentMode?: ContentMode;

  /** Delay levels (ms) of each group's retry topics (default 1s, 10s, 1m, 10m, 1h). */
  retryLevelsMs?: readonly number[];
  /** A new group starts at the oldest retained message (default true) or only sees new ones. */
  fromBeginning?: boolean;
  /**
   * Messages fetched but not finished, per subscription, past which intake waits until they
   * have halved (default 10,000); one fetch may bring more (up to 1 MiB per partition).
   */
  maxBufferedMessages?: number;
  /** How often finished offsets are committed (default 100 ms); close commits at once. */
  commitIntervalMs?: number;
  /** kafkajs consumer session timeout (default 30,000 ms): how long a dead member keeps its partitions. */
  sessionTimeoutMs?: number;
  /** kafkajs consumer heartbeat interval (default 3,000 ms). */
  heartbeatIntervalMs?: number;
  /** Longest a fetch waits for data (default 200 ms); bounds how late a resumed retry partition is read. */
  maxWaitTimeMs?: number;
  /** Partitions handled at once by the kafkajs runner (default 4). */
  partitionsConsumedConcurrently?: number;
  /**
   * Longest a subscription's close() waits for handlers in flight (default 15,000 ms; the
   * app aborts their signals at its shutdownTimeoutMs, 10 s by default). A handler still
   * running then is left behind: its message is not committed and is redelivered.
   */
  closeTimeoutMs?: number;
  /**
   * Longest a retry or dead-letter write is tried before the message is handed back
   * (default 10,000 ms): not committed, its runner slot freed, handled again that long later.
   */
  dispositionTimeoutMs?: number;

  /**
   * Where the transport (and kafkajs, at warn and above) logs. Default: JSON lines on stdout
   * at TANDEM_LOG_LEVEL (info when unset), as the app's default logger.
   */
  logger?: Logger;
  /** The setting the URL came from (TANDEM_BROKER_URL), named in connect() errors. Default 'kafka brokers'. */
  setting?: string;
}

export interface ResolvedKafkaOptions {
  names: KafkaTopicNames;
  createTopics: boolean;
  idempotent: boolean;
  topicDefaults: { numPartitions: number; replicationFactor: number };
  lingerMs: number;
  maxBatchMessages: number;
  retryLevelsMs: number[];
  fromBeginning: boolean;
  maxBufferedMessages: number;
  commitIntervalMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  partitionsConsumedConcurrently: number;
  closeTimeoutMs: number;
  dispositionTimeoutMs: number;
  contentMode: ContentMode;
  logger: Logger;
}
