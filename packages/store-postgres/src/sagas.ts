import {
  endedSagaStatuses,
  type SagaCount,
  type SagaData,
  type SagaInstance,
  type SagaQuery,
  type SagaStatus,
  type SagaStore,
} from '@tandem/core';
import { arrayLiteral, type SqlDriver } from './driver.js';
import type { Tables } from './schema.js';

/** The row as both drivers return it: JSON parsed, times as epoch ms (float8, so a number on both). */
interface SagaRow {
  saga: string;
  id: string;
  version: number;
  status: SagaStatus;
  state: unknown;
  data: SagaData;
  due_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Epoch ms to timestamptz and back, exact to the millisecond (to_timestamp goes through seconds as a float). */
const toTime = (param: string): string => `('epoch'::timestamptz + ${param}::float8 * interval '1 millisecond')`;
const epochMs = (column: string): string => `(extract(epoch from ${column}) * 1000)::float8`;

/** Rows deleted per statement by `purgeEnded`, so a large purge never holds many locks at once. */
const PURGE_BATCH = 1_000;

/**
 * The saga instance table. `load` and `claimDue` take the row lock (FOR UPDATE), which
 * serialises the steps of one instance across every app instance until the step's
 * transaction ends; `save` still checks the version, so a step that ran without the lock
 * (an insert racing another) reports a conflict instead of losing an update.
 */
export class SqlSagaStore<Tx> implements SagaStore<Tx> {
  private readonly columns: string;

  constructor(
    private readonly driver: SqlDriver<Tx>,
    private readonly tables: Tables,
  ) {
    this.columns = `saga, id, version, status, state, data, ${epochMs('due_at')} AS due_at,
      ${epochMs('created_at')} AS created_at, ${epochMs('updated_at')} AS updated_at`;
  }

  async load(tx: Tx, saga: string, id: string): Promise<SagaInstance | undefined> {
    const { rows } = await this.driver
      .within(tx)
      .query<SagaRow>(`SELECT ${this.columns} FROM ${this.tables.sagas} WHERE saga = $1 AND id = $2 FOR UPDATE`, [
        saga,
        id,
      ]);
    return rows[0] && instanceOf(rows[0]);
  }

  async save(tx: Tx, instance: SagaInstance, expectedVersion: number): Promise<boolean> {
    const q = this.driver.within(tx);
    const values = [
      instance.saga,
      instance.id,
      instance.version,
      instance.status,
      JSON.stringify(instance.state ?? null),
      JSON.stringify(instance.data),
      instance.dueAt ?? null,
      instance.createdAt,
      instance.updatedAt,
    ];
    if (expectedVersion === 0) {
      // A concurrent insert of the same id waits for the first one's transaction, then does nothing.
      const { rowCount } = await q.query(
        `INSERT INTO ${this.tables.sagas} (saga, id, version, status, state, data, due_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, ${toTime('$7')}, ${toTime('$8')}, ${toTime('$9')})
         ON CONFLICT DO NOTHING`,
        values,
      );
      return rowCount === 1;
    }
    const { rowCount } = await q.query(
      `UPDATE ${this.tables.sagas}
          SET version = $3, status = $4, state = $5::jsonb, data = $6::jsonb, due_at = ${toTime('$7')},
              created_at = ${toTime('$8')}, updated_at = ${toTime('$9')}
        WHERE saga = $1 AND id = $2 AND version = $10`,
      [...values, expectedVersion],
    );
    return rowCount === 1;
  }

  async claimDue(tx: Tx, now: number, limit: number): Promise<SagaInstance[]> {
    const { rows } = await this.driver.within(tx).query<SagaRow>(
      `SELECT ${this.columns} FROM ${this.tables.sagas}
        WHERE due_at <= ${toTime('$1')}
        ORDER BY due_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows.map(instanceOf);
  }

  async list(query: SagaQuery = {}): Promise<SagaInstance[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => `$${params.push(value)}`;
    if (query.saga !== undefined) where.push(`saga = ${param(query.saga)}`);
    if (query.status !== undefined) {
      const statuses = ([] as string[]).concat(query.status);
      where.push(`status = ANY(${param(arrayLiteral(statuses))}::text[])`);
    }
    if (query.updatedBefore !== undefined) where.push(`updated_at < ${toTime(param(query.updatedBefore))}`);
    const { rows } = await this.driver.query<SagaRow>(
      `SELECT ${this.columns} FROM ${this.tables.sagas}
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY updated_at DESC, saga, id
        LIMIT ${param(query.limit ?? 100)}`,
      params,
    );
    return rows.map(instanceOf);
  }

  async get(saga: string, id: string): Promise<SagaInstance | undefined> {
    const { rows } = await this.driver.query<SagaRow>(
      `SELECT ${this.columns} FROM ${this.tables.sagas} WHERE saga = $1 AND id = $2`,
      [saga, id],
    );
    return rows[0] && instanceOf(rows[0]);
  }

  async counts(): Promise<SagaCount[]> {
    const { rows } = await this.driver.query<{ saga: string; status: SagaStatus; count: number; oldest: number }>(
      `SELECT saga, status, count(*)::int AS count, ${epochMs('min(updated_at)')} AS oldest
         FROM ${this.tables.sagas} GROUP BY saga, status ORDER BY saga, status`,
    );
    return rows.map((row) => ({ saga: row.saga, status: row.status, count: row.count, oldestUpdatedAt: row.oldest }));
  }

  /** Deletes in batches; an instance a step holds right now is skipped, not waited for. */
  async purgeEnded(before: number, limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    let purged = 0;
    while (purged < limit) {
      const batch = Math.min(PURGE_BATCH, limit - purged);
      const { rowCount } = await this.driver.query(
        `DELETE FROM ${this.tables.sagas} WHERE (saga, id) IN (
           SELECT saga, id FROM ${this.tables.sagas}
            WHERE status = ANY($1::text[]) AND updated_at < ${toTime('$2')}
            LIMIT $3 FOR UPDATE SKIP LOCKED)`,
        [arrayLiteral(endedSagaStatuses), before, batch],
      );
      purged += rowCount;
      if (rowCount < batch) break;
    }
    return purged;
  }
}

function instanceOf(row: SagaRow): SagaInstance {
  const instance: SagaInstance = {
    saga: row.saga,
    id: row.id,
    version: row.version,
    status: row.status,
    state: row.state,
    data: row.data,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.due_at !== null) instance.dueAt = row.due_at;
  return instance;
}
