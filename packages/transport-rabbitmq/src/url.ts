/**
 * `amqp://` and `amqps://` URLs: user, password, host, port and vhost go to amqplib as
 * they are; query parameters either tune amqplib (heartbeat, frameMax, ...), configure
 * TLS the way RabbitMQ's URI spec names it (cacertfile, certfile, keyfile, verify,
 * server_name_indication), or set Tandem options (prefetch, prefix, delays, ...). An
 * unknown parameter is a ConfigError, so a typo fails at start instead of being ignored.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { ConfigError, contentModeOf, redactCredentials } from '@tandem/core';
import { parseDelay } from './names.js';
import type { RabbitMQTransportOptions } from './options.js';

/** Parameters amqplib reads from the URL itself. */
const AMQPLIB_PARAMS = new Set(['heartbeat', 'frameMax', 'channelMax', 'locale', 'maxFrameSize']);
const TLS_PARAMS = new Set(['cacertfile', 'certfile', 'keyfile', 'verify', 'server_name_indication']);
const TANDEM_PARAMS = new Set([
  'prefetch',
  'prefix',
  'exchange',
  'delays',
  'mandatory',
  'queueType',
  'publishTimeoutMs',
  'connectTimeoutMs',
  'closeTimeoutMs',
  'connectionName',
  'deadLetterScanLimit',
  'contentMode',
]);

/** The URL for logs, errors and health: no user, no password, no parameters (they may name files or secrets). */
export function redactUrl(url: URL): string {
  const copy = new URL(url.toString());
  copy.search = '';
  return redactCredentials(copy.toString());
}

function integer(name: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw new ConfigError(`rabbitmq URL parameter ${name}: expected a whole number, got '${value}'`);
  return Number(value);
}

function boolean(name: string, value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new ConfigError(`rabbitmq URL parameter ${name}: expected true or false, got '${value}'`);
}

function file(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new ConfigError(
      `rabbitmq URL parameter ${name}: cannot read '${path}' (${(cause as Error).message}); give a readable PEM file`,
      { cause },
    );
  }
}

/** Splits a broker URL into Tandem options and the URL amqplib connects with. */
export function optionsFromUrl(url: URL): { options: RabbitMQTransportOptions; connectUrl: string } {
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    throw new ConfigError(`rabbitmq URL '${redactUrl(url)}': expected the amqp:// or amqps:// scheme`);
  }
  if (!url.hostname)
    throw new ConfigError(`rabbitmq URL '${redactUrl(url)}': no host; write amqp://user:pass@host:5672/vhost`);
  const options: RabbitMQTransportOptions = {};
  const tls: TlsOptions = {};
  const connect = new URL(url.toString());
  connect.search = '';
  for (const [name, value] of url.searchParams) {
    if (AMQPLIB_PARAMS.has(name)) connect.searchParams.set(name, value);
    else if (TLS_PARAMS.has(name)) readTlsParam(tls, name, value);
    else if (TANDEM_PARAMS.has(name)) readTandemParam(options, name, value);
    else {
      const known = [...TANDEM_PARAMS, ...AMQPLIB_PARAMS, ...TLS_PARAMS].join(', ');
      throw new ConfigError(`rabbitmq URL parameter '${name}' is unknown; known parameters: ${known}`);
    }
  }
  if (Object.keys(tls).length > 0) options.tls = tls;
  return { options, connectUrl: connect.toString() };
}

function readTlsParam(tls: TlsOptions, name: string, value: string): void {
  switch (name) {
    case 'cacertfile':
      tls.ca = file(name, value);
      break;
    case 'certfile':
      tls.cert = file(name, value);
      break;
    case 'keyfile':
      tls.key = file(name, value);
      break;
    case 'server_name_indication':
      tls.servername = value;
      break;
    case 'verify':
      if (value !== 'verify_peer' && value !== 'verify_none') {
        throw new ConfigError(`rabbitmq URL parameter verify: expected verify_peer or verify_none, got '${value}'`);
      }
      tls.rejectUnauthorized = value === 'verify_peer';
      break;
  }
}

function readTandemParam(options: RabbitMQTransportOptions, name: string, value: string): void {
  switch (name) {
    case 'prefetch':
      options.prefetch = integer(name, value);
      break;
    case 'prefix':
      options.prefix = value;
      break;
    case 'exchange':
      options.names = { ...options.names, exchange: value };
      break;
    case 'delays':
      options.delayLevelsMs = value.split(',').map((part) => parseDelay(part, 'rabbitmq URL parameter delays'));
      break;
    case 'mandatory':
      options.mandatory = boolean(name, value);
      break;
    case 'contentMode':
      options.contentMode = contentModeOf('rabbitmq URL parameter contentMode', value);
      break;
    case 'queueType':
      if (value !== 'classic' && value !== 'quorum') {
        throw new ConfigError(`rabbitmq URL parameter queueType: expected classic or quorum, got '${value}'`);
      }
      options.queueType = value;
      break;
    case 'publishTimeoutMs':
      options.publishTimeoutMs = integer(name, value);
      break;
    case 'connectTimeoutMs':
      options.connectTimeoutMs = integer(name, value);
      break;
    case 'closeTimeoutMs':
      options.closeTimeoutMs = integer(name, value);
      break;
    case 'connectionName':
      options.connectionName = value;
      break;
    case 'deadLetterScanLimit':
      options.deadLetterScanLimit = integer(name, value);
      break;
  }
}
