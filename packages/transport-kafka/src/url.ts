/**
 * `kafka://[user:password@]host:port[,host:port...][?param=value...]` to transport options.
 *
 * - user and password (percent-encoded) turn on SASL; `sasl=plain|scram-sha-256|scram-sha-512`
 *   picks the mechanism (default plain).
 * - `ssl=true` turns on TLS with the system CAs; `ca`, `cert`, `key` are PEM file paths,
 *   `servername` and `rejectUnauthorized=false` tune it.
 * - `brokers=h2:9092,h3:9092` adds brokers: a comma-separated host list is not a WHATWG URL,
 *   so callers that must pass a `URL` (like core's fromEnv) list the other brokers here.
 * - Tandem settings: clientId, topicPrefix, createTopics, idempotent, partitions, replicationFactor,
 *   lingerMs, maxBatchMessages, retryLevels (e.g. `1s,30s,5m`), fromBeginning,
 *   maxBufferedMessages, commitIntervalMs, sessionTimeoutMs, heartbeatIntervalMs,
 *   maxWaitTimeMs, partitionsConsumedConcurrently, closeTimeoutMs, dispositionTimeoutMs,
 *   connectionTimeout, requestTimeout, contentMode (binary or structured).
 * An unknown parameter is a ConfigError, so a typo fails at start instead of being ignored.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { ConfigError, contentModeOf, type BrokerTransport } from '@tandem/core';
import type { SASLOptions } from 'kafkajs';
import type { KafkaTransportOptions } from './options.js';
import { KafkaTransport } from './transport.js';

const INTEGER_PARAMS = {
  lingerMs: 'lingerMs',
  maxBatchMessages: 'maxBatchMessages',
  maxBufferedMessages: 'maxBufferedMessages',
  commitIntervalMs: 'commitIntervalMs',
  sessionTimeoutMs: 'sessionTimeoutMs',
  heartbeatIntervalMs: 'heartbeatIntervalMs',
  maxWaitTimeMs: 'maxWaitTimeMs',
  partitionsConsumedConcurrently: 'partitionsConsumedConcurrently',
  closeTimeoutMs: 'closeTimeoutMs',
  dispositionTimeoutMs: 'dispositionTimeoutMs',
} as const satisfies Record<string, keyof KafkaTransportOptions>;

const OTHER_PARAMS = new Set([
  'sasl',
  'ssl',
  'ca',
  'cert',
  'key',
  'servername',
  'rejectUnauthorized',
  'brokers',
  'clientId',
  'topicPrefix',
  'createTopics',
  'idempotent',
  'partitions',
  'replicationFactor',
  'retryLevels',
  'fromBeginning',
  'connectionTimeout',
  'requestTimeout',
  'contentMode',
]);

function fail(what: string): never {
  throw new ConfigError(`kafka URL: ${what}`);
}

function integer(name: string, value: string): number {
  if (!/^\d+$/.test(value)) fail(`parameter ${name}: expected a whole number, got '${value}'`);
  return Number(value);
}

function boolean(name: string, value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  fail(`parameter ${name}: expected true or false, got '${value}'`);
}

/** `500ms`, `1s`, `5m`, `1h` or plain ms. */
function duration(value: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) fail(`parameter retryLevels: '${value}' is not a duration (e.g. 500ms, 10s, 5m, 1h)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms']!;
  return Number(match[1]) * unit;
}

function file(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new ConfigError(`kafka URL: parameter ${name}: cannot read '${path}': ${(cause as Error).message}`, {
      cause,
    });
  }
}

function hostList(list: string, where: string): string[] {
  return list.split(',').map((entry) => {
    const host = entry.trim();
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(host))
      fail(`${where}: '${host}' is not host:port (e.g. localhost:9092)`);
    return host;
  });
}

function sasl(mechanism: string, username: string, password: string): SASLOptions {
  switch (mechanism.toLowerCase()) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
    default:
      fail(`parameter sasl: unknown mechanism '${mechanism}'; expected plain, scram-sha-256 or scram-sha-512`);
  }
}

/** Transport options from a `kafka://` URL (string, so a comma-separated host list works too). */
export function kafkaOptionsFromUrl(value: string | URL): KafkaTransportOptions {
  const text = String(value);
  const match = /^kafka:\/\/(?:([^@/?#]*)@)?([^/?#]*)\/?(?:\?([^#]*))?$/i.exec(text);
  if (!match) fail(`'${text.replace(/\/\/[^@/]*@/, '//***@')}' is not kafka://host:port[,host:port][?params]`);
  const [, userinfo, hosts = '', query = ''] = match;
  const options: KafkaTransportOptions = { brokers: hosts === '' ? [] : hostList(hosts, 'broker') };
  const params = new URLSearchParams(query);
  const tls: TlsOptions = {};
  let useTls = false;
  let mechanism = 'plain';
  for (const [name, v] of params) {
    if (name in INTEGER_PARAMS) options[INTEGER_PARAMS[name as keyof typeof INTEGER_PARAMS]] = integer(name, v);
    else if (!OTHER_PARAMS.has(name)) {
      fail(`unknown parameter '${name}'; known: ${[...Object.keys(INTEGER_PARAMS), ...OTHER_PARAMS].join(', ')}`);
    } else if (name === 'sasl') mechanism = v;
    else if (name === 'ssl') useTls = boolean(name, v);
    else if (name === 'ca' || name === 'cert' || name === 'key') {
      tls[name] = file(name, v);
      useTls = true;
    } else if (name === 'servername') tls.servername = v;
    else if (name === 'rejectUnauthorized') tls.rejectUnauthorized = boolean(name, v);
    else if (name === 'brokers') options.brokers!.push(...hostList(v, 'parameter brokers'));
    else if (name === 'clientId') options.clientId = v;
    else if (name === 'topicPrefix') options.topicPrefix = v;
    else if (name === 'createTopics') options.createTopics = boolean(name, v);
    else if (name === 'fromBeginning') options.fromBeginning = boolean(name, v);
    else if (name === 'idempotent') options.idempotent = boolean(name, v);
    else if (name === 'contentMode') options.contentMode = contentModeOf('kafka URL: parameter contentMode', v);
    else if (name === 'partitions')
      options.topicDefaults = { ...options.topicDefaults, numPartitions: integer(name, v) };
    else if (name === 'replicationFactor')
      options.topicDefaults = { ...options.topicDefaults, replicationFactor: integer(name, v) };
    else if (name === 'retryLevels') options.retryLevelsMs = v.split(',').map(duration);
    else if (name === 'connectionTimeout') options.kafka = { ...options.kafka, connectionTimeout: integer(name, v) };
    else if (name === 'requestTimeout') options.kafka = { ...options.kafka, requestTimeout: integer(name, v) };
  }
  if (options.brokers!.length === 0) fail('no broker given; expected kafka://host:port (e.g. kafka://localhost:9092)');
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':');
    const username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
    const password = colon < 0 ? '' : decodeURIComponent(userinfo.slice(colon + 1));
    options.sasl = sasl(mechanism, username, password);
  } else if (params.has('sasl'))
    fail('parameter sasl needs a user and password: kafka://user:password@host:9092?sasl=scram-sha-512');
  if (useTls) options.ssl = Object.keys(tls).length > 0 ? tls : true;
  return options;
}

/** The factory core's `brokerFromUrl` / `fromEnv()` load for `kafka://` URLs. */
export function brokerFromUrl(url: string | URL, extra: Partial<KafkaTransportOptions> = {}): BrokerTransport {
  return new KafkaTransport({ ...kafkaOptionsFromUrl(url), ...extra });
}
