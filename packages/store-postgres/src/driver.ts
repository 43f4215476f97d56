/**
 * The little the stores need from a PostgreSQL client, so one implementation runs on
 * node-postgres (a server) and on PGlite (embedded, in process).
 */
export interface SqlResult<R> {
  rows: R[];
  rowCount: number;
}

/** Something SQL can be run on: a pool, a client or a transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlResult<R>>;
}

/** A connection a relay keeps for itself: key-range locks, LISTEN, and its own reads and writes. */
export interface SqlSession extends Queryable {
  /** False once the connection broke; its locks are gone with it. */
  readonly alive: boolean;
  /** Takes a session-level lock without waiting; false when another session holds it. */
  tryLock(space: number, id: number): Promise<boolean>;
  unlock(space: number, id: number): Promise<void>;
  /** Holds a lock that says "a reader is here" until the session ends. */
  announce(space: number): Promise<void>;
  /** How many sessions announced themselves in `space`. */
  countAnnounced(space: number): Promise<number>;
  listen(channel: string, onNotify: () => void): Promise<void>;
  /** Also called when the connection breaks. */
  onLost(callback: () => void): void;
  close(): Promise<void>;
}

/** The database driver the SQL store runs on (node-postgres or PGlite). */
export interface SqlDriver<Tx> {
  readonly kind: 'pg' | 'pglite';
  connect(): Promise<void>;
  /** One statement outside any transaction. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlResult<R>>;
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Queries inside the caller's transaction (a pg client, a PGlite transaction). */
  within(tx: Tx): Queryable;
  session(): Promise<SqlSession>;
  close(): Promise<void>;
}

/** `{1,2,3}`: an array parameter both drivers pass the same way (cast it in SQL). */
export function arrayLiteral(values: ReadonlyArray<string | number>): string {
  return `{${values.join(',')}}`;
}

let savepoints = 0;

/** Runs `fn` inside the open transaction `q` so that a throw undoes only what `fn` wrote. */
export async function withSavepoint<T>(q: Queryable, fn: () => Promise<T>): Promise<T> {
  const savepoint = `tandem_nested_${++savepoints}`;
  await q.query(`SAVEPOINT ${savepoint}`);
  try {
    const result = await fn();
    await q.query(`RELEASE SAVEPOINT ${savepoint}`);
    return result;
  } catch (error) {
    await q.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
    throw error;
  }
}
