import { z } from 'zod';
import { ConfigError, isTandemError } from '../errors/errors.js';
import { createLogger, type Logger, type LogLevel } from '../log/logger.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport } from '../transport/broker.js';
import { parsePort } from './port.js';
import { redactCredentials, redactUrl } from './redact.js';
import { suggestScheme } from './scheme-suggestion.js';
import { brokerSchemes, storeSchemes, type BrokerFactory, type StoreFactory } from './schemes.js';

/** The broker, store and settings fromEnv() read from TANDEM_* variables. */
export interface EnvConfig {
  broker: BrokerTransport;
  store: Store | undefined;
  /** TANDEM_HTTP_PORT, default 3000. */
  httpPort: number;
  /** TANDEM_HTTP_HOST, default 0.0.0.0. */
  httpHost: string;
  logLevel: LogLevel;
  /** TANDEM_SERVICE_<NAME>_URL, comma-separated URLs allowed, by lower-case service name. */
  serviceUrls: Record<string, string[]>;
}

const envSchema = z.object({
  TANDEM_BROKER_URL: z.string().default('memory://'),
  TANDEM_STORE_URL: z.string().default('memory://'),
  TANDEM_HTTP_PORT: z.string().default('3000'),
  TANDEM_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  TANDEM_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

/** `scheme://a:1,b:2/...`: a host list, which WHATWG URL parsing rejects. */
const MULTI_HOST = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?[^/?#]*,/i;

function parseUrl(variable: string, value: string, known: string[]): { scheme: string; url: URL | string } {
  const expected = `expected ${known.slice(0, -1).join(', ')} or ${known.at(-1)}`;
  let url: URL;
  try {
    // Validate a host list through its first host; the factory gets the whole string.
    url = new URL(MULTI_HOST.test(value) ? value.replace(/,[^/?#]*/, '') : value);
  } catch {
    // Not the parser's error as the cause: it carries the whole input, password and all.
    throw new ConfigError(`${variable}: '${redactUrl(value)}' is not a URL; ${expected} (e.g. memory://)`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!known.includes(scheme)) {
    const suggestion = suggestScheme(scheme, known);
    const hint = suggestion ? `did you mean ${suggestion}://? ` : '';
    throw new ConfigError(`${variable}: unknown scheme '${scheme}'; ${hint}${expected}`);
  }
  return { scheme, url: MULTI_HOST.test(value) ? value : url };
}

async function resolveFactory<F>(
  variable: string,
  scheme: string,
  entry: { packageName?: string; exportName?: string; factory?: F },
): Promise<F> {
  if (entry.factory) return entry.factory;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(entry.packageName!)) as Record<string, unknown>;
  } catch (cause) {
    const notFound =
      (cause as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(cause).includes(entry.packageName!);
    throw new ConfigError(
      notFound
        ? `${variable}: scheme '${scheme}' needs the package ${entry.packageName}; install it with npm install ${entry.packageName}`
        : `${variable}: loading ${entry.packageName} for scheme '${scheme}' failed: ${(cause as Error).message}`,
      { cause },
    );
  }
  const factory = mod[entry.exportName!];
  if (typeof factory !== 'function')
    throw new ConfigError(`${variable}: ${entry.packageName} does not export ${entry.exportName}()`);
  return factory as F;
}

/** Builds the broker from a URL (`memory://`, `kafka://host:9092`, `amqp://user:pass@host/vhost`). */
export async function brokerFromUrl(
  value: string,
  variable = 'TANDEM_BROKER_URL',
  context: { logger?: Logger } = {},
): Promise<BrokerTransport> {
  const { scheme, url } = parseUrl(variable, value, [...brokerSchemes.keys()]);
  const factory = await resolveFactory<BrokerFactory>(variable, scheme, brokerSchemes.get(scheme)!);
  return naming(variable, () => factory(url, { ...context, setting: variable }));
}

/** Builds the store from a URL (`memory://`, `pglite://./data`, `postgres://...`, `redis://...`). */
export async function storeFromUrl(value: string, variable = 'TANDEM_STORE_URL'): Promise<Store | undefined> {
  const { scheme, url } = parseUrl(variable, value, [...storeSchemes.keys()]);
  if (typeof url === 'string')
    throw new ConfigError(`${variable}: '${redactUrl(value)}' lists several hosts; a store takes one`);
  const factory = await resolveFactory<StoreFactory>(variable, scheme, storeSchemes.get(scheme)!);
  return naming(variable, () => factory(url, { setting: variable }));
}

/**
 * Runs an adapter's factory so that what it rejects names the setting: an adapter's own
 * message ("rabbitmq URL parameter prefetch: ...") does not know which variable it read.
 */
async function naming<T>(variable: string, build: () => T | Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (cause) {
    const original = (cause as Error)?.message ?? String(cause);
    const message = redactCredentials(original);
    if (isTandemError(cause) && message.startsWith(`${variable}:`) && message === original) throw cause;
    // A cause that quotes a password stays out: loggers other than Tandem's print causes as they are.
    const keep = message === original ? { cause } : {};
    throw new ConfigError(`${variable}: ${message.replace(new RegExp(`^${variable}: `), '')}`, keep);
  }
}

/**
 * Reads Tandem's settings from the environment, validated: a bad value fails here, at
 * start, naming the variable. Swapping Kafka for RabbitMQ is a change of TANDEM_BROKER_URL.
 */
export async function fromEnv(env: Record<string, string | undefined> = process.env): Promise<EnvConfig> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0]);
    throw new ConfigError(`${variable}: ${issue.message} (got '${env[variable]}')`);
  }
  const httpPort = parsePort('TANDEM_HTTP_PORT', parsed.data.TANDEM_HTTP_PORT);
  const serviceUrls: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^TANDEM_SERVICE_([A-Z0-9_]+)_URL$/.exec(key);
    if (!match || value === undefined) continue;
    const urls = value
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    for (const u of urls) {
      // dns+http(s):// names A/AAAA records, dns+srv+http(s):// SRV records (see @tandem/transport-http).
      if (!URL.canParse(u) || !/^(dns\+(srv\+)?)?https?:$/.test(new URL(u).protocol)) {
        throw new ConfigError(
          `${key}: '${redactUrl(u)}' is not an http(s) URL; expected http://host:3000, dns+http://name:3000 or dns+srv+http://_http._tcp.name`,
        );
      }
    }
    serviceUrls[match[1]!.toLowerCase().replace(/_/g, '-')] = urls;
  }
  // The level of the env given, not of process.env: fromEnv({ TANDEM_LOG_LEVEL: 'silent' }) quiets the transport too.
  const logger = createLogger({ level: parsed.data.TANDEM_LOG_LEVEL });
  const broker = await brokerFromUrl(parsed.data.TANDEM_BROKER_URL, 'TANDEM_BROKER_URL', { logger });
  const store = await storeFromUrl(parsed.data.TANDEM_STORE_URL);
  return {
    broker,
    store,
    httpPort,
    httpHost: parsed.data.TANDEM_HTTP_HOST,
    logLevel: parsed.data.TANDEM_LOG_LEVEL,
    serviceUrls,
  };
}
