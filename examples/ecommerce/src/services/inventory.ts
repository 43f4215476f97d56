import { Command, ConflictError, Query, Service, type HandlerContext } from '@tandem/core';
import type { z } from 'zod';
import { GetStock, InventoryReserved, ReleaseStock, ReserveStock } from '../contracts/index.js';
import { db } from '../db.js';

@Service('inventory')
export class Inventory {
  /**
   * All lines or none; a repeat for the same order (a retried call) reserves nothing more.
   * `inventory.reserved` goes out with the reservation's commit, so the fulfilment saga hears
   * of every reservation that exists, whatever happens to the caller afterwards.
   */
  @Command(ReserveStock, { publishes: [InventoryReserved] })
  async reserve({ orderId, items }: z.output<typeof ReserveStock.input>, ctx: HandlerContext) {
    const sql = db(ctx);
    const existing = await sql.query<{ released: boolean }>(
      'SELECT released FROM shop_reservations WHERE order_id = $1 LIMIT 1',
      [orderId],
    );
    if (existing.rows[0]?.released)
      throw new ConflictError(
        `the reservation for order ${orderId} was released (the order expired or was undone); place a new order`,
      );
    if (existing.rowCount > 0) return { reserved: true };
    // Rows locked in one order (by sku) by every order: two orders for the same products,
    // listed in opposite orders, would otherwise each hold one row and wait for the other.
    for (const { sku, qty } of [...items].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))) {
      const taken = await sql.query(
        'UPDATE shop_stock SET available = available - $2 WHERE sku = $1 AND available >= $2 RETURNING available',
        [sku, qty],
      );
      // Throwing rolls back the lines already taken in this transaction.
      if (taken.rowCount === 0)
        throw new ConflictError(`not enough stock of '${sku}' for ${qty}`, { details: { sku } });
      await sql.query('INSERT INTO shop_reservations (order_id, sku, qty) VALUES ($1, $2, $3)', [orderId, sku, qty]);
    }
    await ctx.publish(InventoryReserved, { orderId, items }, { key: orderId });
    return { reserved: true };
  }

  /** The fulfilment saga's compensation (src/sagas/order-fulfilment.ts), which also handles cancellations. */
  @Command(ReleaseStock)
  async release({ orderId }: { orderId: string }, ctx: HandlerContext) {
    const sql = db(ctx);
    const lines = await sql.query<{ sku: string; qty: number }>(
      'UPDATE shop_reservations SET released = true WHERE order_id = $1 AND NOT released RETURNING sku, qty',
      [orderId],
    );
    for (const { sku, qty } of lines.rows) {
      await sql.query('UPDATE shop_stock SET available = available + $2 WHERE sku = $1', [sku, qty]);
    }
    return { released: lines.rowCount };
  }

  @Query(GetStock)
  async stock({ sku }: { sku: string }, ctx: HandlerContext) {
    const row = await db(ctx).query<{ available: number }>('SELECT available FROM shop_stock WHERE sku = $1', [sku]);
    return { sku, available: row.rows[0]?.available ?? 0 };
  }
}
