import type { Queryable } from '@tandem/store-postgres';

/**
 * Whether an order was placed or expired is decided once, in the orders service's database:
 * `orders.place` writes the order and the fulfilment saga's timeout writes the expiry, each
 * holding this order's lock, so one of them always sees the other's row. Without the lock
 * both could commit: an accepted order whose payment the saga had just voided.
 */
export async function lockOrder(sql: Queryable, orderId: string): Promise<void> {
  // Held until the transaction ends. A 64-bit hash of the id: two orders rarely share a lock,
  // and when they do, one waits a moment for the other.
  await sql.query(`SELECT pg_advisory_xact_lock(hashtextextended('shop.order:' || $1, 0))`, [orderId]);
}

/** Why the order expired, if the saga gave up on it. */
export async function expiryOf(sql: Queryable, orderId: string): Promise<string | undefined> {
  const found = await sql.query<{ reason: string }>('SELECT reason FROM shop_orders_expired WHERE order_id = $1', [
    orderId,
  ]);
  return found.rows[0]?.reason;
}

/** Records that the order will never be placed; call it holding `lockOrder`. */
export async function markExpired(sql: Queryable, orderId: string, reason: string): Promise<void> {
  await sql.query('INSERT INTO shop_orders_expired (order_id, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
    orderId,
    reason,
  ]);
}
