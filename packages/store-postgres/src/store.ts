import type { PGlite, Transaction } from '@electric-sql/pglite';
import { defaultRetention, DEFAULT_OUTBOX_BUCKETS, type RetentionOptions, type Store } from '@tandem/core';
import type pg from 'pg';
import { withSavepoint, type SqlDriver } from './driver.js';
import { SqlIdempotencyStore } from './idempotency.js';
import { SqlInbox } from './inbox.js';
import { SqlOutbox } from './outbox.js';
import { SqlSagaStore } from './sagas.js';
import { PgDriver, type PgDriverOptions } from './pg-driver.js';
import { PgliteDriver, type PgliteDriverOptions } from './pglite-driver.js';
import { migrate, tablesOf, type TableOptions, type Tables } from './schema.js';

/** Options of the SQL store: tables, retention and migration. */
export interface SqlStoreOptions extends TableOptions {
  /** Create the tables on connect (idempotent). Default true; with false, apply `migrationSql()` yourself. */
  migrate?: boolean;
  /** Key ranges of the outbox; each is relayed by one instance at a time. Default 32. Fixed for the table's life. */
  buckets?: number;
  retention?: RetentionOptions;
  /** How often expired rows are deleted. Default 60 s; 0 turns the cleanup off. */
  cleanupIntervalMs?: number;
}

/**
 * Outbox, inbox, idempotency records and saga instances in PostgreSQL, on node-postgres or PGlite. The
 * handler's `ctx.tx` is the driver's own transaction (a pg PoolClient inside BEGIN, or a
 * PGlite Transaction): query it for your writes and they commit with the outbox rows.
 */
export class SqlStore<Tx> implements Store<Tx> {
  readonly outbox: SqlOutbox<Tx>;
  readonly inbox: SqlInbox<Tx>;
  readonly idempotency: SqlIdempotencyStore<Tx>;
  readonly sagas: SqlSagaStore<Tx>;
  readonly tables: Tables;
  private readonly retention: Required<RetentionOptions>;
  private janitor: NodeJS.Timeout | undefined;
  private connected = false;

  constructor(
    readonly name: string,
    readonly driver: SqlDriver<Tx>,
    private readonly options: SqlStoreOptions = {},
  ) {
    this.tables = tablesOf(options);
    this.retention = { ...defaultRetention, ...options.retention };
    this.outbox = new SqlOutbox(driver, this.tables, options.buckets ?? DEFAULT_OUTBOX_BUCKETS);
    this.inbox = new SqlInbox(driver, this.tables);
    this.idempotency = new SqlIdempotencyStore(driver, this.tables);
    this.sagas = new SqlSagaStore(driver, this.tables);
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.driver.connect();
    if (this.options.migrate !== false)
      await migrate({ transaction: (fn) => this.driver.transaction((tx) => fn(this.driver.within(tx))) }, this.options);
    this.connected = true;
    const every = this.options.cleanupIntervalMs ?? 60_000;
    if (every > 0) {
      this.janitor = setInterval(() => void this.cleanup().catch(() => undefined), every);
      this.janitor.unref();
    }
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.driver.transaction(fn);
  }

  /** A savepoint inside `tx`: what `fn` wrote is rolled back alone when it throws. */
  nested<T>(tx: Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return withSavepoint(this.driver.within(tx), () => fn(tx));
  }

  /** Deletes published outbox rows, inbox rows, idempotency records and ended saga instances past their retention. */
  async cleanup(): Promise<{ outbox: number; inbox: number; idempotency: number; sagas: number }> {
    const t = this.tables;
    const outbox = await this.driver.query(
      `DELETE FROM ${t.outbox} WHERE seq IN (SELECT seq FROM ${t.outbox} WHERE published_at < now() - $1::bigint * interval '1 millisecond' LIMIT 50000)`,
      [this.retention.outboxMs],
    );
    const inbox = await this.driver.query(
      `DELETE FROM ${t.inbox} WHERE (consumer_group, message_id) IN
         (SELECT consumer_group, message_id FROM ${t.inbox} WHERE handled_at < now() - $1::bigint * interval '1 millisecond' LIMIT 50000)`,
      [this.retention.inboxMs],
    );
    const idempotency = await this.driver.query(`DELETE FROM ${t.idempotency} WHERE expires_at <= now()`);
    // Bounded like the other deletes: what is left goes on the next run.
    const sagas = await this.sagas.purgeEnded(Date.now() - this.retention.sagasMs, 50_000);
    return { outbox: outbox.rowCount, inbox: inbox.rowCount, idempotency: idempotency.rowCount, sagas };
  }

  /**
   * Reachable or not, with the outbox backlog. Parked records leave it ok: the service
   * works, and taking it out of a load balancer would not resend them.
   */
  async health(): Promise<{ ok: boolean; detail?: string }> {
    const { waiting, parked } = await this.outbox.counts();
    const parkedNote = parked > 0 ? `, ${parked} parked (tandem outbox list --parked)` : '';
    return { ok: true, detail: `${this.driver.kind}; ${waiting} outbox rows waiting${parkedNote}` };
  }

  async close(): Promise<void> {
    clearInterval(this.janitor);
    this.janitor = undefined;
    this.connected = false;
    await this.driver.close();
  }
}

/** What postgresStore() takes: SQL store options and the node-postgres connection. */
export type PostgresStoreOptions = SqlStoreOptions & PgDriverOptions;
/** What pgliteStore() takes: SQL store options and the PGlite database. */
export type PgliteStoreOptions = SqlStoreOptions & PgliteDriverOptions;

/** A store on a PostgreSQL server: `postgresStore({ connectionString })`, or `{ pool }` to share your own pool. */
export function postgresStore(options: PostgresStoreOptions): SqlStore<pg.PoolClient> {
  return new SqlStore<pg.PoolClient>('postgres', new PgDriver(options), options);
}

/** A store on embedded PGlite: `pgliteStore({ dataDir: './data' })`, in memory without one, or `{ db }` to share yours. */
export function pgliteStore(options: PgliteStoreOptions = {}): SqlStore<Transaction> {
  return new SqlStore('pglite', new PgliteDriver(options), options);
}

/** PGlite's database class, for `pgliteStore({ db })` and your own queries. */
export type { PGlite };
/** A PGlite transaction, as handed to your handler's writes by the PGlite store. */
export type { Transaction };
