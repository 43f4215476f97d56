import {
  fairShare,
  outboxBucket,
  type OutboxAdmin,
  type OutboxReader,
  type OutboxRecord,
  type OutboxRefusal,
  type OutboxStore,
  type OutgoingMessage,
  type RefusedOutboxRecord,
} from '@tandem/core';
import { arrayLiteral, type SqlDriver, type SqlSession } from './driver.js';
import { SqlOutboxAdmin } from './outbox-admin.js';
import { SqlOutboxHistory } from './outbox-history.js';
import type { Tables } from './schema.js';

/** Rows per INSERT: 5 parameters each, well under PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 1_000;

interface OutboxRow {
  seq: string;
  topic: string;
  key: string | null;
  headers: Record<string, string>;
  body: Uint8Array;
  attempts: number;
}

/** Longest error message kept with a refused record. */
const MAX_ERROR_LENGTH = 2_000;

/**
 * The outbox table. `append` inserts in the caller's transaction and signals the relays
 * with NOTIFY, which PostgreSQL delivers only if that transaction commits.
 */
export class SqlOutbox<Tx> implements OutboxStore<Tx>, OutboxAdmin {
  private readonly admin: SqlOutboxAdmin;
  /** Published rows, kept for `retention.outboxMs`: what `tandem replay` reads on every broker but Kafka. */
  readonly history: SqlOutboxHistory;

  constructor(
    private readonly driver: SqlDriver<Tx>,
    private readonly tables: Tables,
    readonly buckets: number,
  ) {
    this.admin = new SqlOutboxAdmin(driver as SqlDriver<unknown>, tables);
    this.history = new SqlOutboxHistory(driver as SqlDriver<unknown>, tables);
  }

  refused(options?: { parkedOnly?: boolean; limit?: number }): Promise<RefusedOutboxRecord[]> {
    return this.admin.refused(options);
  }

  retry(seqs: readonly string[] | 'all'): Promise<number> {
    return this.admin.retry(seqs);
  }

  discard(seqs: readonly string[]): Promise<number> {
    return this.admin.discard(seqs);
  }

  counts(): Promise<{ waiting: number; parked: number }> {
    return this.admin.counts();
  }

  async append(tx: Tx, messages: OutgoingMessage[]): Promise<void> {
    const q = this.driver.within(tx);
    for (let start = 0; start < messages.length; start += ROWS_PER_INSERT) {
      const chunk = messages.slice(start, start + ROWS_PER_INSERT);
      const params: unknown[] = [this.tables.channel];
      const values = chunk.map((m) => {
        const at = params.length;
        params.push(outboxBucket(m.key, this.buckets), m.topic, m.key ?? null, JSON.stringify(m.headers), m.body);
        return `($${at + 1}::int, $${at + 2}, $${at + 3}, $${at + 4}::jsonb, $${at + 5}::bytea)`;
      });
      // Data-modifying CTEs always run; the outer SELECT adds the wake-up in the same round trip.
      await q.query(
        `WITH inserted AS (INSERT INTO ${this.tables.outbox} (bucket, topic, key, headers, body) VALUES ${values.join(', ')} RETURNING 1)
         SELECT pg_notify($1, '')`,
        params,
      );
    }
  }

  async openReader(): Promise<OutboxReader> {
    const session = await this.driver.session();
    const reader = new SqlOutboxReader(session, this.tables, this.buckets);
    try {
      await session.announce(this.tables.readerSpace);
      await session.listen(this.tables.channel, () => reader.notify());
    } catch (error) {
      await session.close();
      throw error;
    }
    session.onLost(() => reader.notify());
    return reader;
  }
}

class SqlOutboxReader implements OutboxReader {
  private readonly owned = new Set<number>();
  private notified = false;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly session: SqlSession,
    private readonly tables: Tables,
    private readonly buckets: number,
  ) {}

  get alive(): boolean {
    return this.session.alive;
  }

  notify(): void {
    if (this.waiter) this.waiter();
    else this.notified = true;
  }

  async balance(): Promise<number> {
    const { bucketSpace, readerSpace } = this.tables;
    const share = fairShare(this.buckets, await this.session.countAnnounced(readerSpace));
    for (const bucket of [...this.owned].sort((a, b) => b - a)) {
      if (this.owned.size <= share) break;
      await this.session.unlock(bucketSpace, bucket);
      this.owned.delete(bucket);
    }
    // Start at a random bucket so readers joining together do not all race for the same ones.
    const offset = Math.floor(Math.random() * this.buckets);
    for (let i = 0; i < this.buckets && this.owned.size < share; i++) {
      const bucket = (offset + i) % this.buckets;
      if (this.owned.has(bucket)) continue;
      if (await this.session.tryLock(bucketSpace, bucket)) this.owned.add(bucket);
    }
    return this.owned.size;
  }

  async claim(limit: number): Promise<OutboxRecord[]> {
    if (this.owned.size === 0) return [];
    const t = this.tables.outbox;
    // Ordered by the bigint column o.seq (ORDER BY seq would sort the text alias). A record
    // behind a refused or parked one of its key is left out (the refused index finds those
    // few); a refused record itself comes back once its retry time has come.
    const { rows } = await this.session.query<OutboxRow>(
      `SELECT o.seq::text AS seq, o.topic, o.key, o.headers, o.body, o.attempts FROM ${t} o
       WHERE o.published_at IS NULL AND o.bucket = ANY($1::int[])
         AND o.parked_at IS NULL AND (o.attempts = 0 OR o.next_attempt_at <= now())
         AND NOT EXISTS (SELECT 1 FROM ${t} f
           WHERE f.key = o.key AND f.seq < o.seq AND f.published_at IS NULL AND f.attempts > 0)
       ORDER BY o.seq LIMIT $2`,
      [arrayLiteral([...this.owned]), limit],
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
    }));
  }

  async markRefused(record: OutboxRecord, refusal: OutboxRefusal): Promise<boolean> {
    const { rows } = await this.session.query<{ parked: boolean }>(
      `UPDATE ${this.tables.outbox}
       SET attempts = attempts + 1, last_error = $2,
           next_attempt_at = CASE WHEN attempts + 1 >= $4 THEN NULL ELSE now() + $3::bigint * interval '1 millisecond' END,
           parked_at = CASE WHEN attempts + 1 >= $4 THEN now() END
       WHERE seq = $1::bigint AND published_at IS NULL
       RETURNING parked_at IS NOT NULL AS parked`,
      [record.seq, refusal.error.slice(0, MAX_ERROR_LENGTH), Math.ceil(refusal.retryInMs), refusal.parkAfter],
    );
    return rows[0]?.parked ?? false;
  }

  async countParked(): Promise<number> {
    const { rows } = await this.session.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.tables.outbox} WHERE published_at IS NULL AND attempts > 0 AND parked_at IS NOT NULL`,
    );
    return rows[0]!.n;
  }

  async markPublished(records: OutboxRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.session.query(`UPDATE ${this.tables.outbox} SET published_at = now() WHERE seq = ANY($1::bigint[])`, [
      arrayLiteral(records.map((r) => r.seq)),
    ]);
  }

  waitForAppend(timeoutMs: number): Promise<void> {
    if (this.notified || !this.alive) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiter = undefined;
        this.notified = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.waiter = done;
    });
  }

  async close(): Promise<void> {
    this.owned.clear();
    this.waiter?.();
    await this.session.close();
  }
}
