import { randomUUID } from 'node:crypto';
import type { IdempotencyBegin, IdempotencyOutcome, IdempotencyStore } from '@tandem/core';
import type { Queryable, SqlDriver } from './driver.js';
import type { Tables } from './schema.js';

interface Existing {
  fingerprint: string;
  /** JSON text, kept as written so a replay is byte for byte the first answer. */
  outcome: string | null;
}

/**
 * Idempotency records as leases: one row per (scope, key) with its owner's token; the
 * database clock decides expiry. `completeIn` writes the outcome in the handler's own
 * transaction, and its row lock holds off anyone who would take the key over until that
 * transaction ends: a retry then sees the outcome, or (after a rollback) the key again.
 */
export class SqlIdempotencyStore<Tx> implements IdempotencyStore<Tx> {
  constructor(
    private readonly driver: SqlDriver<Tx>,
    private readonly tables: Tables,
  ) {}

  begin(scope: string, key: string, fingerprint: string, leaseMs: number): Promise<IdempotencyBegin> {
    return this.claim(this.driver, scope, key, fingerprint, leaseMs);
  }

  beginIn(tx: Tx, scope: string, key: string, fingerprint: string, leaseMs: number): Promise<IdempotencyBegin> {
    return this.claim(this.driver.within(tx), scope, key, fingerprint, leaseMs);
  }

  private async claim(
    q: Queryable,
    scope: string,
    key: string,
    fingerprint: string,
    leaseMs: number,
  ): Promise<IdempotencyBegin> {
    const t = this.tables.idempotency;
    for (let attempt = 0; attempt < 3; attempt++) {
      const lease = randomUUID();
      // Takes the key when it is free or its record expired; otherwise leaves the row as it is.
      const claimed = await q.query(
        `INSERT INTO ${t} AS r (scope, key, fingerprint, lease, expires_at)
           VALUES ($1, $2, $3, $4, now() + $5::bigint * interval '1 millisecond')
         ON CONFLICT (scope, key) DO UPDATE
           SET fingerprint = EXCLUDED.fingerprint, lease = EXCLUDED.lease, outcome = NULL, expires_at = EXCLUDED.expires_at
           WHERE r.expires_at <= now()
         RETURNING 1`,
        [scope, key, fingerprint, lease, Math.ceil(leaseMs)],
      );
      if (claimed.rowCount === 1) return { state: 'started', lease };
      const { rows } = await q.query<Existing>(`SELECT fingerprint, outcome FROM ${t} WHERE scope = $1 AND key = $2`, [
        scope,
        key,
      ]);
      const row = rows[0];
      // Released between the two statements: try to take it again.
      if (!row) continue;
      if (row.fingerprint !== fingerprint) return { state: 'mismatch' };
      if (row.outcome === null) return { state: 'in-flight' };
      return { state: 'completed', outcome: JSON.parse(row.outcome) as IdempotencyOutcome };
    }
    return { state: 'in-flight' };
  }

  async renew(scope: string, key: string, lease: string, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.driver.query(
      `UPDATE ${this.tables.idempotency}
         SET expires_at = greatest(expires_at, now() + $4::bigint * interval '1 millisecond')
       WHERE scope = $1 AND key = $2 AND lease = $3 AND outcome IS NULL`,
      [scope, key, lease, Math.ceil(leaseMs)],
    );
    return rowCount === 1;
  }

  complete(scope: string, key: string, lease: string, outcome: IdempotencyOutcome, ttlMs: number): Promise<boolean> {
    return this.record(this.driver, scope, key, lease, outcome, ttlMs);
  }

  completeIn(
    tx: Tx,
    scope: string,
    key: string,
    lease: string,
    outcome: IdempotencyOutcome,
    ttlMs: number,
  ): Promise<boolean> {
    return this.record(this.driver.within(tx), scope, key, lease, outcome, ttlMs);
  }

  async release(scope: string, key: string, lease: string): Promise<void> {
    await this.driver.query(
      `DELETE FROM ${this.tables.idempotency} WHERE scope = $1 AND key = $2 AND lease = $3 AND outcome IS NULL`,
      [scope, key, lease],
    );
  }

  private async record(
    q: Queryable,
    scope: string,
    key: string,
    lease: string,
    outcome: IdempotencyOutcome,
    ttlMs: number,
  ): Promise<boolean> {
    const { rowCount } = await q.query(
      `UPDATE ${this.tables.idempotency} SET outcome = $4, expires_at = now() + $5::bigint * interval '1 millisecond'
       WHERE scope = $1 AND key = $2 AND lease = $3 AND outcome IS NULL`,
      [scope, key, lease, JSON.stringify(outcome), Math.ceil(ttlMs)],
    );
    return rowCount === 1;
  }
}
