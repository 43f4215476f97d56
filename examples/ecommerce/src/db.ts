import { ConfigError, type HandlerContext, type Store } from '@tandem/core';
import type { Queryable } from '@tandem/store-postgres';

/**
 * The shop keeps its own rows in the same PostgreSQL (or PGlite) database as Tandem's
 * outbox and inbox, so a handler's writes and its events commit together.
 */
export function db(ctx: HandlerContext): Queryable {
  const tx = ctx.tx as Queryable | undefined;
  if (!tx)
    throw new ConfigError('the shop needs a SQL store: set TANDEM_STORE_URL to pglite://./path or postgres://...');
  return tx;
}

/**
 * As `db`, for a handler registered with `transaction: 'deferred'`: opens its transaction now,
 * after the calls it made first (which hold no connection meanwhile).
 */
export async function openDb(ctx: HandlerContext): Promise<Queryable> {
  await ctx.transaction();
  return db(ctx);
}

/** Each service's tables; statements are idempotent so every process can run them at start. */
export const schema: Record<string, string[]> = {
  inventory: [
    `CREATE TABLE IF NOT EXISTS shop_stock (sku text PRIMARY KEY, available integer NOT NULL CHECK (available >= 0))`,
    `CREATE TABLE IF NOT EXISTS shop_reservations (order_id text NOT NULL, sku text NOT NULL, qty integer NOT NULL,
       released boolean NOT NULL DEFAULT false, PRIMARY KEY (order_id, sku))`,
    `INSERT INTO shop_stock (sku, available) VALUES ('tea', 1000000), ('coffee', 1000000), ('mug', 1000000), ('rare-vinyl', 1),
       ('piano', 1000) ON CONFLICT (sku) DO NOTHING`,
  ],
  payments: [
    `CREATE TABLE IF NOT EXISTS shop_payments (order_id text PRIMARY KEY, amount numeric NOT NULL, status text NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now())`,
    // Added with the fulfilment saga; databases made before it get the column here.
    `ALTER TABLE shop_payments ADD COLUMN IF NOT EXISTS payment_id text`,
  ],
  orders: [
    `CREATE TABLE IF NOT EXISTS shop_orders (order_id text PRIMARY KEY, customer text NOT NULL, email text NOT NULL,
       total numeric NOT NULL, status text NOT NULL, reason text, placed_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now())`,
    // Added with version 2 of orders.placed; orders from before it were all in euros.
    `ALTER TABLE shop_orders ADD COLUMN IF NOT EXISTS currency text NOT NULL DEFAULT 'EUR'`,
    `CREATE TABLE IF NOT EXISTS shop_order_lines (order_id text NOT NULL, sku text NOT NULL, qty integer NOT NULL,
       PRIMARY KEY (order_id, sku))`,
    `CREATE TABLE IF NOT EXISTS shop_orders_expired (order_id text PRIMARY KEY, reason text NOT NULL,
       expired_at timestamptz NOT NULL DEFAULT now())`,
  ],
  shipping: [
    `CREATE TABLE IF NOT EXISTS shop_shipments (order_id text PRIMARY KEY, tracking text NOT NULL, status text NOT NULL)`,
  ],
  analytics: [
    `CREATE TABLE IF NOT EXISTS shop_analytics_revenue (hour timestamptz NOT NULL, currency text NOT NULL,
       revenue numeric NOT NULL, orders integer NOT NULL, PRIMARY KEY (hour, currency))`,
    `CREATE TABLE IF NOT EXISTS shop_analytics_skus (sku text PRIMARY KEY, units integer NOT NULL, orders integer NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS shop_analytics_orders (order_id text PRIMARY KEY, counted_at timestamptz NOT NULL DEFAULT now())`,
  ],
  notifications: [
    `CREATE TABLE IF NOT EXISTS shop_notifications (message_id text PRIMARY KEY, order_id text NOT NULL, kind text NOT NULL,
       email text NOT NULL, body text NOT NULL, sent_at timestamptz NOT NULL DEFAULT now())`,
  ],
};

export async function migrateShop(store: Store, services: readonly string[]): Promise<void> {
  await store.transaction(async (tx) => {
    for (const name of services) for (const statement of schema[name] ?? []) await (tx as Queryable).query(statement);
  });
}
