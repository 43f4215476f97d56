/**
 * The outbox table's published rows as an event history, for replay. Published rows stay
 * until `retention.outboxMs` after they were published (see SqlStore.cleanup), so that is
 * how far back a replay on RabbitMQ reaches. Rows are read in `seq` order, the order the
 * relay published them in, so order per key holds; a replay reads up to the last row
 * that existed when it began and never chases rows published while it runs.
 */
import { Header, type EventHistory, type HistoryQuery, type PastEvent } from '@tandem/core';
import type { SqlDriver } from './driver.js';
import type { Tables } from './schema.js';

interface HistoryRow {
  seq: string;
  topic: string;
  key: string | null;
  headers: Record<string, string>;
  body: Uint8Array;
  time: number;
}

/** A text[] literal with every element quoted, so any text (commas, quotes, braces) passes intact. */
function textArray(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/(["\\])/g, '\\$1')}"`).join(',')}}`;
}

export class SqlOutboxHistory implements EventHistory {
  readonly name = 'the outbox table';

  constructor(
    private readonly driver: SqlDriver<unknown>,
    private readonly tables: Tables,
  ) {}

  private where(query: HistoryQuery): { sql: string; params: unknown[] } {
    return {
      sql: `published_at IS NOT NULL
        AND created_at >= to_timestamp($1::float8 / 1000) AND created_at < to_timestamp($2::float8 / 1000)
        AND headers->>'${Header.type}' = ANY($3::text[])`,
      params: [query.since, query.until, textArray(query.types)],
    };
  }

  async count(query: HistoryQuery): Promise<number> {
    const where = this.where(query);
    const { rows } = await this.driver.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.tables.outbox} WHERE ${where.sql}`,
      where.params,
    );
    return rows[0]?.n ?? 0;
  }

  async oldest(): Promise<number | undefined> {
    const { rows } = await this.driver.query<{ time: number | null }>(
      `SELECT (extract(epoch FROM min(created_at)) * 1000)::float8 AS time FROM ${this.tables.outbox} WHERE published_at IS NOT NULL`,
    );
    return rows[0]?.time ?? undefined;
  }

  async *read(query: HistoryQuery, batchSize: number): AsyncIterable<PastEvent[]> {
    const where = this.where(query);
    const { rows: top } = await this.driver.query<{ seq: string | null }>(
      `SELECT max(seq)::text AS seq FROM ${this.tables.outbox}`,
    );
    const last = top[0]?.seq;
    if (last === null || last === undefined) return;
    let after = '0';
    for (;;) {
      const { rows } = await this.driver.query<HistoryRow>(
        // Ordered by the bigint column o.seq: ORDER BY seq would sort the text alias.
        `SELECT o.seq::text AS seq, topic, key, headers, body, (extract(epoch FROM created_at) * 1000)::float8 AS time
         FROM ${this.tables.outbox} o
         WHERE ${where.sql} AND o.seq > $4::bigint AND o.seq <= $5::bigint
         ORDER BY o.seq LIMIT $6`,
        [...where.params, after, last, batchSize],
      );
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.seq;
      yield rows.map((row) => ({
        id: row.headers[Header.id] ?? '',
        message: {
          topic: row.topic,
          ...(row.key !== null ? { key: row.key } : {}),
          headers: row.headers,
          body: row.body,
        },
        time: Number(row.time),
      }));
      if (rows.length < batchSize) return;
    }
  }
}
