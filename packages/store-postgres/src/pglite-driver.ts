import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { pgliteStartError } from './start-errors.js';
import { withSavepoint, type Queryable, type SqlDriver, type SqlResult, type SqlSession } from './driver.js';

/** Options of the PGlite driver: data directory or a database of yours. */
export interface PgliteDriverOptions {
  /** Your own PGlite instance; the store never closes it. */
  db?: PGlite;
  /** Where the database lives when the store opens it ('./data'); in memory when absent. */
  dataDir?: string;
  /** The setting the data directory came from, named in start-up errors. Default 'pglite dataDir'. */
  setting?: string;
}

function wrap(db: PGlite | Transaction): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]): Promise<SqlResult<R>> {
      const result = await db.query<R>(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
  };
}

/**
 * Key-range locks for PGlite. One PGlite is one session inside one process, where
 * PostgreSQL advisory locks would always succeed; the relays of that process share these.
 */
const locksByDb = new WeakMap<
  PGlite,
  { owners: Map<string, PgliteSession>; announced: Map<number, Set<PgliteSession>> }
>();

function locksOf(db: PGlite) {
  let locks = locksByDb.get(db);
  if (!locks) locksByDb.set(db, (locks = { owners: new Map(), announced: new Map() }));
  return locks;
}

/** PGlite: the embedded PostgreSQL that `pglite://./data` opens; everything runs in this process. */
export class PgliteDriver implements SqlDriver<Transaction> {
  readonly kind = 'pglite';
  private db: PGlite | undefined;
  private readonly ownsDb: boolean;
  private readonly current = new AsyncLocalStorage<Transaction>();

  constructor(private readonly options: PgliteDriverOptions) {
    this.db = options.db;
    this.ownsDb = !options.db;
  }

  private get live(): PGlite {
    if (!this.db) throw new Error('PGlite store used before connect()');
    return this.db;
  }

  async connect(): Promise<void> {
    if (!this.db) {
      const { PGlite } = await import('@electric-sql/pglite');
      const dir = this.options.dataDir;
      try {
        // PGlite creates its own directory but not the ones above it ('./.data/app').
        if (dir !== undefined && !dir.includes('://')) await mkdir(dirname(resolve(dir)), { recursive: true });
        this.db = await PGlite.create(this.options.dataDir);
      } catch (error) {
        throw dir === undefined ? error : pgliteStartError(error, this.options.setting ?? 'pglite dataDir', dir);
      }
    }
    await this.db.waitReady;
  }

  /**
   * A statement outside any transaction. Made from inside one (an idempotency key claimed by
   * a command called in process from a handler), it would wait for that transaction on the
   * one connection forever: it runs in the transaction instead.
   */
  query<R>(sql: string, params?: unknown[]): Promise<SqlResult<R>> {
    const outer = this.current.getStore();
    if (outer && !outer.closed) return wrap(outer).query<R>(sql, params);
    return wrap(this.live).query<R>(sql, params);
  }

  /**
   * PGlite has one connection, so a transaction begun inside another one (a command a
   * handler calls in process) would wait for the outer one forever. It joins the outer
   * transaction instead, as a savepoint: its failure undoes only its own writes.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const outer = this.current.getStore();
    if (!outer || outer.closed) return this.live.transaction((tx) => this.current.run(tx, () => fn(tx)));
    return withSavepoint(wrap(outer), () => fn(outer));
  }

  within(tx: Transaction): Queryable {
    return wrap(tx);
  }

  async session(): Promise<SqlSession> {
    return new PgliteSession(this.live);
  }

  async close(): Promise<void> {
    const db = this.db;
    if (!this.ownsDb || !db) return;
    this.db = undefined;
    await db.close();
  }
}

class PgliteSession implements SqlSession {
  alive = true;
  private readonly unlisten: Array<() => Promise<void>> = [];
  private readonly q: Queryable;

  constructor(private readonly db: PGlite) {
    this.q = wrap(db);
  }

  query<R>(sql: string, params?: unknown[]): Promise<SqlResult<R>> {
    return this.q.query<R>(sql, params);
  }

  async tryLock(space: number, id: number): Promise<boolean> {
    const owners = locksOf(this.db).owners;
    const name = `${space}:${id}`;
    const owner = owners.get(name);
    if (owner && owner !== this) return false;
    owners.set(name, this);
    return true;
  }

  async unlock(space: number, id: number): Promise<void> {
    const owners = locksOf(this.db).owners;
    if (owners.get(`${space}:${id}`) === this) owners.delete(`${space}:${id}`);
  }

  async announce(space: number): Promise<void> {
    const announced = locksOf(this.db).announced;
    let set = announced.get(space);
    if (!set) announced.set(space, (set = new Set()));
    set.add(this);
  }

  async countAnnounced(space: number): Promise<number> {
    return locksOf(this.db).announced.get(space)?.size ?? 0;
  }

  async listen(channel: string, onNotify: () => void): Promise<void> {
    this.unlisten.push(await this.db.listen(channel, onNotify));
  }

  onLost(): void {
    // An in-process database does not lose its connection.
  }

  async close(): Promise<void> {
    this.alive = false;
    const locks = locksOf(this.db);
    for (const [name, owner] of locks.owners) if (owner === this) locks.owners.delete(name);
    for (const set of locks.announced.values()) set.delete(this);
    if (!this.db.closed) for (const stop of this.unlisten.splice(0)) await stop().catch(() => undefined);
  }
}
