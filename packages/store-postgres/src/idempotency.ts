import type { IdempotencyBegin, IdempotencyStore, StoredResponse } from '@tandem/core';
import type { SqlDriver } from './driver.js';
import type { Tables } from './schema.js';

interface Existing {
  fingerprint: string;
  status: number | null;
  headers: Record<string, string> | null;
  body: string | null;
}

/** Idempotency records: one row per (scope, key); the database clock decides expiry. */
export class SqlIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly driver: SqlDriver<unknown>,
    private readonly tables: Tables,
  ) {}

  async begin(scope: string, key: string, fingerprint: string, ttlMs: number): Promise<IdempotencyBegin> {
    const t = this.tables.idempotency;
    for (let attempt = 0; attempt < 3; attempt++) {
      // Takes the key when it is free or its record expired; otherwise leaves the row as it is.
      const claimed = await this.driver.query(
        `INSERT INTO ${t} AS r (scope, key, fingerprint, expires_at) VALUES ($1, $2, $3, now() + $4::bigint * interval '1 millisecond')
         ON CONFLICT (scope, key) DO UPDATE
           SET fingerprint = EXCLUDED.fingerprint, status = NULL, headers = NULL, body = NULL, expires_at = EXCLUDED.expires_at
           WHERE r.expires_at <= now()
         RETURNING 1`,
        [scope, key, fingerprint, Math.ceil(ttlMs)],
      );
      if (claimed.rowCount === 1) return { state: 'started' };
      const { rows } = await this.driver.query<Existing>(
        `SELECT fingerprint, status, headers, body FROM ${t} WHERE scope = $1 AND key = $2`,
        [scope, key],
      );
      const row = rows[0];
      // Released between the two statements: try to take it again.
      if (!row) continue;
      if (row.fingerprint !== fingerprint) return { state: 'mismatch' };
      if (row.status === null) return { state: 'in-flight' };
      return { state: 'completed', response: { status: row.status, headers: row.headers ?? {}, body: row.body ?? '' } };
    }
    return { state: 'in-flight' };
  }

  async complete(scope: string, key: string, response: StoredResponse, ttlMs: number): Promise<void> {
    await this.driver.query(
      `UPDATE ${this.tables.idempotency} SET status = $3, headers = $4::jsonb, body = $5, expires_at = now() + $6::bigint * interval '1 millisecond'
       WHERE scope = $1 AND key = $2`,
      [scope, key, response.status, JSON.stringify(response.headers), response.body, Math.ceil(ttlMs)],
    );
  }

  async release(scope: string, key: string): Promise<void> {
    await this.driver.query(`DELETE FROM ${this.tables.idempotency} WHERE scope = $1 AND key = $2 AND status IS NULL`, [
      scope,
      key,
    ]);
  }
}
