/**
 * URL schemes that select a broker or store. Core imports no transport or driver: a
 * scheme names the adapter package, loaded on demand, whose module exports a factory
 * (`brokerFromUrl` / `storeFromUrl`). Other packages can add schemes with `registerScheme`.
 */
import type { Logger } from '../log/logger.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport } from '../transport/broker.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';

/**
 * Gets a URL, or the raw string when the URL lists several hosts (`kafka://a:9092,b:9092`),
 * which a WHATWG URL cannot represent.
 */
export type BrokerFactory = (
  url: URL | string,
  /**
   * What the app's configuration says beyond the URL: the logger at TANDEM_LOG_LEVEL, and the
   * setting the URL came from (TANDEM_BROKER_URL), for errors at connect to name.
   */
  context?: { logger?: Logger; setting?: string },
) => BrokerTransport | Promise<BrokerTransport>;
/** Makes a store from a URL of a registered scheme (see registerStoreScheme). */
export type StoreFactory = (
  url: URL,
  /** The setting the URL came from (TANDEM_STORE_URL), for errors at connect to name. */
  context?: { setting?: string },
) => Store | undefined | Promise<Store | undefined>;

interface SchemeEntry<F> {
  /** The package whose export `exportName` is the factory; used when no factory is registered. */
  packageName?: string;
  exportName?: string;
  factory?: F;
}

export const brokerSchemes = new Map<string, SchemeEntry<BrokerFactory>>([
  [
    'memory',
    {
      factory: (value) => {
        const url = typeof value === 'string' ? new URL(value) : value;
        return new MemoryTransport({ broker: MemoryBroker.shared(url.host + url.pathname.replace(/^\/$/, '')) });
      },
    },
  ],
  ['kafka', { packageName: '@tandem/transport-kafka', exportName: 'brokerFromUrl' }],
  ['amqp', { packageName: '@tandem/transport-rabbitmq', exportName: 'brokerFromUrl' }],
  ['amqps', { packageName: '@tandem/transport-rabbitmq', exportName: 'brokerFromUrl' }],
]);

export const storeSchemes = new Map<string, SchemeEntry<StoreFactory>>([
  ['memory', { factory: () => undefined }],
  ['pglite', { packageName: '@tandem/store-postgres', exportName: 'storeFromUrl' }],
  ['postgres', { packageName: '@tandem/store-postgres', exportName: 'storeFromUrl' }],
  ['postgresql', { packageName: '@tandem/store-postgres', exportName: 'storeFromUrl' }],
  ['redis', { packageName: '@tandem/store-redis', exportName: 'storeFromUrl' }],
  ['rediss', { packageName: '@tandem/store-redis', exportName: 'storeFromUrl' }],
]);

/** Lets TANDEM_BROKER_URL and --broker accept a URL scheme of your own transport. */
export function registerBrokerScheme(scheme: string, factory: BrokerFactory): void {
  brokerSchemes.set(scheme, { factory });
}

/** Lets TANDEM_STORE_URL and --store accept a URL scheme of your own store. */
export function registerStoreScheme(scheme: string, factory: StoreFactory): void {
  storeSchemes.set(scheme, { factory });
}
