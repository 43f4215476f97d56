/** When the outbox relay marked messages sent, for the breakdown's outbox/broker split (see breakdown.ts). */
import type { PublishedAt } from './breakdown.js';

export type RowQuery = <R>(sql: string, params: unknown[]) => Promise<R[]>;

/** `table`: the outbox table, schema-qualified as the store names it. Published rows are kept an hour by default. */
export function outboxPublishedAt(query: RowQuery, table: string): PublishedAt {
  return async (messageIds) => {
    const rows = await query<{ id: string; published: number }>(
      `SELECT headers->>'ce-id' AS id, (extract(epoch FROM published_at) * 1000)::float8 AS published
         FROM ${table} WHERE headers->>'ce-id' = ANY($1::text[]) AND published_at IS NOT NULL`,
      [messageIds],
    );
    return new Map(rows.map((r) => [r.id, r.published]));
  };
}
