import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { ConfigError, contentModeOf, createLogger, type ContentMode, type Logger, type LogLevel } from '@tandem/core';
import { checkDelayLevels, checkName, DEFAULT_DELAY_LEVELS_MS, defaultNames, type TopologyNames } from './names.js';
import { optionsFromUrl, redactUrl } from './url.js';

/** Options of the RabbitMQ transport; each can also be given as a URL parameter (see the README). */
export interface RabbitMQTransportOptions {
  /** `amqp://user:pass@host:5672/vhost` or `amqps://...`; query parameters as in this package's README. Default amqp://localhost. */
  url?: string | URL;
  /** Unacknowledged messages the broker pushes to one subscription at once. Default 100. */
  prefetch?: number;
  /** Prefix of every name Tandem declares. Default 'tandem'. */
  prefix?: string;
  /** Override single names; the rest come from the prefix. */
  names?: Partial<TopologyNames>;
  /** Delay levels in ms for delayed retries; a requested delay is rounded up to the next level. */
  delayLevelsMs?: readonly number[];
  /**
   * Reject `publish` with BrokerError when no queue is bound to the topic. Off by default:
   * a publisher may rightly have no consumers yet, and RabbitMQ then drops the message.
   */
  mandatory?: boolean;
  /** Queue type of group, delay and dead-letter queues. Default 'classic'. */
  queueType?: 'classic' | 'quorum';
  /**
   * How published events are written (docs/transports.md, "Content modes"). 'binary' (the
   * default): each CloudEvents attribute is an application property. 'structured': the event
   * is one `application/cloudevents+json` object in the body, with the message id, content
   * type, `cloudEvents_partitionkey` (the ordering key) and W3C `traceparent`/`tracestate`
   * left outside it. Consumers read both; retries and dead letters keep the form received.
   */
  contentMode?: ContentMode;
  /** How long `publish` waits for a connection and the broker's confirms. Default 30 s. */
  publishTimeoutMs?: number;
  /** How long `connect()` keeps trying before it fails. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * How long closing a subscription waits for handlers already running. Past it, their
   * messages are left unacknowledged (RabbitMQ delivers them again) and close() returns.
   * Default 15 s: a little above the app's default `shutdownTimeoutMs` (10 s), so handlers
   * that stop when the app aborts their signal still settle.
   */
  closeTimeoutMs?: number;
  /** Backoff between reconnect attempts after a connection loss. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Most messages `deadLetters.replay` looks through for the ids it is given, and `list` returns without a limit. Default 10,000. */
  deadLetterScanLimit?: number;
  /** Shown in the RabbitMQ management UI and `rabbitmqctl list_connections`. */
  connectionName?: string;
  /** The setting the URL came from (TANDEM_BROKER_URL), named in connect() errors. Default 'rabbitmq url'. */
  setting?: string;
  /** TLS options for amqps:// (ca, cert, key, servername, rejectUnauthorized, ...). */
  tls?: TlsOptions;
  /** AMQP heartbeat in seconds; the server's suggestion when unset. */
  heartbeatSeconds?: number;
  logger?: Logger;
}

/** Options with defaults applied and checked, as the transport's parts use them. */
export interface ResolvedOptions {
  /** The URL handed to amqplib: no Tandem parameters in it. */
  connectUrl: string;
  /** The URL without its user and password, for logs, errors and health. */
  displayUrl: string;
  setting: string;
  prefetch: number;
  names: TopologyNames;
  delayLevelsMs: number[];
  mandatory: boolean;
  queueType: 'classic' | 'quorum';
  contentMode: ContentMode;
  publishTimeoutMs: number;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  deadLetterScanLimit: number;
  connectionName: string;
  tls: TlsOptions | undefined;
  log: Logger;
}

function positiveInteger(setting: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(`rabbitmq ${setting}: expected a positive integer, got ${value}`);
  return value;
}

function defaultLogger(): Logger {
  const level = process.env.TANDEM_LOG_LEVEL as LogLevel | undefined;
  return createLogger({ level: level ?? 'info', bindings: { transport: 'rabbitmq' } });
}

/**
 * Applies defaults and checks every setting. Parameters in the URL's query apply first;
 * options given in code win over them.
 */
export function resolveOptions(input: RabbitMQTransportOptions = {}): ResolvedOptions {
  const url = new URL(String(input.url ?? 'amqp://localhost'));
  const { options: fromUrl, connectUrl } = optionsFromUrl(url);
  const options: RabbitMQTransportOptions = {
    ...fromUrl,
    ...definedOnly(input),
    tls: { ...fromUrl.tls, ...input.tls },
  };
  const names = { ...defaultNames(options.prefix ?? 'tandem'), ...options.names };
  checkName('exchange', names.exchange);
  if (options.queueType !== undefined && options.queueType !== 'classic' && options.queueType !== 'quorum') {
    throw new ConfigError(`rabbitmq queueType: expected 'classic' or 'quorum', got '${String(options.queueType)}'`);
  }
  const heartbeat = options.heartbeatSeconds;
  if (heartbeat !== undefined && (!Number.isInteger(heartbeat) || heartbeat < 0)) {
    throw new ConfigError(`rabbitmq heartbeatSeconds: expected a whole number of seconds >= 0, got ${heartbeat}`);
  }
  const finalUrl = heartbeat === undefined ? connectUrl : withQuery(connectUrl, 'heartbeat', String(heartbeat));
  const initialDelayMs = positiveInteger('reconnect.initialDelayMs', options.reconnect?.initialDelayMs, 100);
  const maxDelayMs = positiveInteger('reconnect.maxDelayMs', options.reconnect?.maxDelayMs, 10_000);
  return {
    connectUrl: finalUrl,
    displayUrl: redactUrl(url),
    setting: options.setting ?? 'rabbitmq url',
    prefetch: positiveInteger('prefetch', options.prefetch, 100),
    names,
    delayLevelsMs: checkDelayLevels(options.delayLevelsMs ?? DEFAULT_DELAY_LEVELS_MS, 'rabbitmq delayLevelsMs'),
    mandatory: options.mandatory ?? false,
    queueType: options.queueType ?? 'classic',
    contentMode: contentModeOf('rabbitmq contentMode', options.contentMode),
    publishTimeoutMs: positiveInteger('publishTimeoutMs', options.publishTimeoutMs, 30_000),
    connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    closeTimeoutMs: positiveInteger('closeTimeoutMs', options.closeTimeoutMs, 15_000),
    reconnect: { initialDelayMs, maxDelayMs: Math.max(initialDelayMs, maxDelayMs) },
    deadLetterScanLimit: positiveInteger('deadLetterScanLimit', options.deadLetterScanLimit, 10_000),
    connectionName: options.connectionName ?? `tandem pid ${process.pid}`,
    tls: url.protocol === 'amqps:' ? options.tls : undefined,
    log: options.logger ?? defaultLogger(),
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function withQuery(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}
