import { ConfigError, type OutboxAdmin, type RefusedOutboxRecord } from '@tandem/core';
import { arrayLiteral, type SqlDriver } from './driver.js';
import type { Tables } from './schema.js';

interface RefusedRow {
  seq: string;
  topic: string;
  key: string | null;
  headers: Record<string, string>;
  body: Uint8Array;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  parked_at: Date | null;
  next_attempt_at: Date | null;
}

function seqList(seqs: readonly string[]): string {
  for (const seq of seqs) {
    if (!/^[1-9][0-9]{0,18}$/.test(seq))
      throw new ConfigError(`outbox record '${seq}' is not a sequence number (see tandem outbox list)`);
  }
  return arrayLiteral(seqs);
}

/** Refused and parked rows of the outbox table, for `tandem outbox` and health checks. */
export class SqlOutboxAdmin implements OutboxAdmin {
  constructor(
    private readonly driver: SqlDriver<unknown>,
    private readonly tables: Tables,
  ) {}

  async refused(options: { parkedOnly?: boolean; limit?: number } = {}): Promise<RefusedOutboxRecord[]> {
    const { rows } = await this.driver.query<RefusedRow>(
      `SELECT seq::text AS seq, topic, key, headers, body, attempts, last_error, created_at, parked_at, next_attempt_at
       FROM ${this.tables.outbox} o
       WHERE published_at IS NULL AND attempts > 0 ${options.parkedOnly ? 'AND parked_at IS NOT NULL' : ''}
       ORDER BY o.seq LIMIT $1`,
      [options.limit ?? 1_000],
    );
    return rows.map((row) => ({
      seq: row.seq,
      message: {
        topic: row.topic,
        ...(row.key !== null ? { key: row.key } : {}),
        headers: row.headers,
        body: row.body,
      },
      attempts: row.attempts,
      lastError: row.last_error ?? '',
      createdAt: new Date(row.created_at).toISOString(),
      ...(row.parked_at ? { parkedAt: new Date(row.parked_at).toISOString() } : {}),
      ...(row.next_attempt_at ? { nextAttemptAt: new Date(row.next_attempt_at).toISOString() } : {}),
    }));
  }

  async retry(seqs: readonly string[] | 'all'): Promise<number> {
    const params: unknown[] = [this.tables.channel];
    if (seqs !== 'all') params.push(seqList(seqs));
    // The NOTIFY wakes the relays at once instead of at their next poll.
    const { rows } = await this.driver.query<{ n: number }>(
      `WITH changed AS (
         UPDATE ${this.tables.outbox} SET attempts = 0, last_error = NULL, next_attempt_at = NULL, parked_at = NULL
         WHERE published_at IS NULL AND attempts > 0 ${seqs === 'all' ? '' : 'AND seq = ANY($2::bigint[])'}
         RETURNING 1)
       SELECT (SELECT count(*) FROM changed)::int AS n, pg_notify($1, '')`,
      params,
    );
    return rows[0]!.n;
  }

  async discard(seqs: readonly string[]): Promise<number> {
    if (seqs.length === 0) return 0;
    const { rows } = await this.driver.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM ${this.tables.outbox} WHERE published_at IS NULL AND attempts > 0 AND seq = ANY($2::bigint[])
         RETURNING 1)
       SELECT (SELECT count(*) FROM gone)::int AS n, pg_notify($1, '')`,
      [this.tables.channel, seqList(seqs)],
    );
    return rows[0]!.n;
  }

  async counts(): Promise<{ waiting: number; parked: number }> {
    const { rows } = await this.driver.query<{ waiting: number; parked: number }>(
      `SELECT count(*) FILTER (WHERE parked_at IS NULL)::int AS waiting,
              count(*) FILTER (WHERE parked_at IS NOT NULL)::int AS parked
       FROM ${this.tables.outbox} WHERE published_at IS NULL`,
    );
    return rows[0]!;
  }
}
