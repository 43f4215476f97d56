import {
  ConfigError,
  createApp,
  createLogger,
  fromEnv,
  type App,
  type EnvConfig,
  type Invocation,
  type Logger,
  type Middleware,
  type ServiceInput,
} from '@tandem/core';
import { httpClient, httpServer, type HttpMount, type HttpServer } from '@tandem/transport-http';
import { migrateShop } from './db.js';
import { Analytics } from './services/analytics.js';
import { Inventory } from './services/inventory.js';
import { Notifications, type Mailer } from './services/notifications.js';
import { Orders } from './services/orders.js';
import { Payments } from './services/payments.js';
import { Shipping } from './services/shipping.js';
import { orderFulfilment } from './sagas/order-fulfilment.js';

/** What runs when SHOP_SERVICES is not set: the shop without analytics, which joins later. */
export const DEFAULT_SERVICES = ['orders', 'inventory', 'payments', 'shipping', 'notifications'] as const;
/** Every service SHOP_SERVICES may name. */
export const ALL_SERVICES = [...DEFAULT_SERVICES, 'analytics'] as const;
export type ShopService = (typeof ALL_SERVICES)[number];

/** Where the shop keeps its data when TANDEM_STORE_URL is not set: survives a restart. */
export const DEFAULT_STORE_URL = 'pglite://./.data/shop';

export interface ShopOptions {
  /** Overrides the mailer of the notifications service (tests use one they can break and mend). */
  mailer?: Mailer;
  logger?: Logger;
  /** App-wide middleware, e.g. to count handler runs (the load script does). */
  middleware?: Middleware<Invocation>[];
  /** When the orders service says an order was placed (tests spread orders over hours with it). */
  clock?: () => Date;
  /** Routes served beside the shop's own, e.g. the console: `[consoleApi(), consolePage()]` (main.ts mounts them). */
  mounts?: HttpMount[];
}

export interface Shop {
  app: App;
  server: HttpServer;
  config: EnvConfig;
  services: ShopService[];
}

/**
 * The whole shop in one process by default (without analytics), or the services named in
 * SHOP_SERVICES (one process per service, or the default ones plus analytics), on whatever broker and store the environment names. Calls to
 * services not in this process go over HTTP to TANDEM_SERVICE_<NAME>_URL.
 */
export async function buildShop(
  env: Record<string, string | undefined> = process.env,
  options: ShopOptions = {},
): Promise<Shop> {
  const config = await fromEnv({ TANDEM_STORE_URL: DEFAULT_STORE_URL, ...stripUndefined(env) });
  const services = selectServices(env.SHOP_SERVICES);
  if (!config.store)
    throw new ConfigError('TANDEM_STORE_URL: the shop needs a SQL store; set it to pglite://./path or postgres://...');
  await config.store.connect?.();
  await migrateShop(config.store, services);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  // The admin routes show the dead letters, which on the in-process broker live only in this
  // process; by default they answer only requests from this machine.
  const server = httpServer({
    port: config.httpPort,
    host: config.httpHost,
    logger,
    admin: { deadLetters: true, replay: true },
    ...(options.mounts ? { mounts: options.mounts } : {}),
  });
  const remote = Object.keys(config.serviceUrls).length > 0;
  const instances = services.map((name) => instantiate(name, options));
  // The fulfilment saga runs beside the orders service: it decides, in the orders database,
  // whether an order was placed or expired (src/sagas/order-fulfilment.ts).
  if (services.includes('orders')) instances.push(orderFulfilment({ orderTimeoutMs: orderTimeoutFrom(env) }));
  const app = createApp({
    services: instances,
    broker: config.broker,
    store: config.store,
    http: server,
    ...(options.middleware ? { middleware: options.middleware } : {}),
    ...(remote ? { clients: httpClient({ services: config.serviceUrls, timeoutMs: 2_000, logger }) } : {}),
    logger,
  });
  return { app, server, config, services };
}

function instantiate(name: ShopService, options: ShopOptions): ServiceInput {
  switch (name) {
    case 'orders':
      return options.clock ? new Orders(options.clock) : new Orders();
    case 'inventory':
      return new Inventory();
    case 'payments':
      return new Payments();
    case 'shipping':
      return new Shipping();
    case 'notifications':
      return options.mailer ? new Notifications(options.mailer) : new Notifications();
    case 'analytics':
      return new Analytics();
  }
}

/** SHOP_ORDER_TIMEOUT_MS: how long a reservation may wait for its order before it is given back (default 30 s). */
function orderTimeoutFrom(env: Record<string, string | undefined>): number | undefined {
  const raw = env.SHOP_ORDER_TIMEOUT_MS;
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 100)
    throw new ConfigError(`SHOP_ORDER_TIMEOUT_MS: expected whole milliseconds >= 100, got '${raw}'`);
  return ms;
}

function selectServices(value: string | undefined): ShopService[] {
  if (!value) return [...DEFAULT_SERVICES];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(ALL_SERVICES as readonly string[]).includes(name)) {
      throw new ConfigError(`SHOP_SERVICES: unknown service '${name}'; expected some of ${ALL_SERVICES.join(', ')}`);
    }
  }
  return names as ShopService[];
}

function stripUndefined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
