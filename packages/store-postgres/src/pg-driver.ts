import pg from 'pg';
import { connectionLost, isConnectionFault, watchConnection, type ConnectionWatch } from './connection-faults.js';
import { serialClient } from './serial-client.js';
import { pgStartError, targetOf, type PgFields } from './start-errors.js';
import type { SqlDriver, SqlResult, SqlSession, Queryable } from './driver.js';

/** Options of the node-postgres driver: connection string or pool. */
export interface PgDriverOptions {
  /** Your own pool: the store borrows clients from it and never ends it. */
  pool?: pg.Pool;
  /** Used when no pool is given: `postgres://user:pass@host:5432/db`. */
  connectionString?: string;
  /** Pool size when the store makes the pool. Default 10. */
  max?: number;
  /** The setting the connection came from, named in start-up errors. Default 'postgresStore connectionString' (or 'pool'). */
  setting?: string;
}

function wrap(client: pg.Pool | pg.ClientBase): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]): Promise<SqlResult<R>> {
      const result = await client.query(sql, params);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    },
  };
}

/**
 * Every client the pool makes gets an 'error' listener for its whole life. node-postgres
 * emits 'error' on a client whose backend dies; pg-pool listens only while the client is
 * idle, and `pool.query` only until its statement settles, so a termination arriving in
 * between (a FATAL message and then the closed socket both emit) crashed the process with
 * nobody listening. The error is not lost: the statement or transaction on that client
 * fails with it, and the pool drops the client.
 */
function guardClient(client: pg.PoolClient): void {
  client.on('error', ignore);
}

function ignore(): void {}

/** How often a transaction takes another pooled client when BEGIN finds the one it got dead. */
const BEGIN_ATTEMPTS = 3;

/** node-postgres: transactions on pooled clients, a dedicated pooled client per relay session. */
export class PgDriver implements SqlDriver<pg.PoolClient> {
  readonly kind = 'pg';
  private pool: pg.Pool | undefined;
  private readonly ownsPool: boolean;

  constructor(private readonly options: PgDriverOptions) {
    this.pool = options.pool;
    this.ownsPool = !options.pool;
    options.pool?.on('connect', guardClient);
  }

  private get live(): pg.Pool {
    if (!this.pool) {
      this.pool = new pg.Pool({ connectionString: this.options.connectionString, max: this.options.max ?? 10 });
      // An idle client that breaks is dropped by the pool; without a listener the error would crash the process.
      this.pool.on('error', () => undefined);
      this.pool.on('connect', guardClient);
    }
    return this.pool;
  }

  async connect(): Promise<void> {
    try {
      await this.query('SELECT 1');
    } catch (error) {
      const pool = this.live as pg.Pool & { options?: PgFields & { connectionString?: string } };
      const connectionString = this.options.connectionString ?? pool.options?.connectionString;
      const setting =
        this.options.setting ?? (this.options.pool ? 'postgresStore pool' : 'postgresStore connectionString');
      throw pgStartError(error, targetOf(setting, connectionString, pool.options));
    }
  }

  async query<R>(sql: string, params?: unknown[]): Promise<SqlResult<R>> {
    try {
      return await wrap(this.live).query<R>(sql, params);
    } catch (error) {
      throw connectionLost(error, 'unknown');
    }
  }

  /**
   * One unit of work on one pooled client. A connection lost on the way (the backend
   * terminated, the server restarted, the network cut) fails this unit of work alone with
   * an UnavailableError; the client is discarded, so the next transaction gets a fresh one.
   */
  async transaction<T>(fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    const { client, watch } = await this.begin();
    // The unit's statements, ROLLBACK and COMMIT included, go one at a time (serial-client.ts).
    const tx = serialClient(client);
    let reusable = true;
    try {
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        reusable = await tx.query('ROLLBACK').then(
          () => true,
          () => false,
        );
        throw connectionLost(error, 'rolled-back', watch.lost);
      }
      // A connection that broke before COMMIT was sent cannot have committed.
      const lostBefore = watch.lost;
      try {
        await tx.query('COMMIT');
      } catch (error) {
        reusable = !isConnectionFault(error);
        throw connectionLost(error, lostBefore ? 'rolled-back' : 'unknown', watch.lost);
      }
      return result;
    } finally {
      client.release(!reusable || watch.lost !== undefined);
      watch.stop();
    }
  }

  /** A pooled client inside BEGIN, watched for connection errors until it is released. */
  private async begin(): Promise<{ client: pg.PoolClient; watch: ConnectionWatch }> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.live.connect();
      } catch (error) {
        throw connectionLost(error, 'rolled-back');
      }
      const watch = watchConnection(client);
      try {
        await client.query('BEGIN');
        return { client, watch };
      } catch (error) {
        client.release(true);
        watch.stop();
        // An idle pooled connection that died before the pool noticed: nothing ran on it yet.
        const dead = isConnectionFault(error) || watch.lost !== undefined;
        if (!dead || attempt === BEGIN_ATTEMPTS) throw connectionLost(error, 'rolled-back', watch.lost);
      }
    }
  }

  within(tx: pg.ClientBase): Queryable {
    return wrap(tx);
  }

  async session(): Promise<SqlSession> {
    let client: pg.PoolClient;
    try {
      client = await this.live.connect();
    } catch (error) {
      throw connectionLost(error, 'rolled-back');
    }
    // Listening from the first statement on: a connection lost during the settings below
    // must not emit 'error' with nobody listening.
    const session = new PgSession(client);
    try {
      // The relay's marks need not be durable: a mark lost in a crash only means those
      // rows are sent again, which consumers' inboxes absorb. Not waiting for the WAL
      // flush takes an fsync off every relay round trip.
      await session.query('SET synchronous_commit = off');
      // The claim walks the pending index in seq order. A plain index scan marks the entries
      // of rows already published as dead as it passes them; a bitmap scan (which the planner
      // likes for a small queue) visits those rows again on every claim until vacuum runs,
      // and an idle claim then costs milliseconds instead of microseconds.
      await session.query('SET enable_bitmapscan = off');
    } catch (error) {
      await session.close();
      throw connectionLost(error, 'rolled-back');
    }
    return session;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool && this.ownsPool) await pool.end();
  }
}

class PgSession implements SqlSession {
  alive = true;
  private closed = false;
  private readonly lost: Array<() => void> = [];
  private readonly channels = new Map<string, () => void>();
  private readonly q: Queryable;

  constructor(private readonly client: pg.PoolClient) {
    this.q = wrap(client);
    const fail = (): void => {
      if (!this.alive) return;
      this.alive = false;
      for (const callback of this.lost) callback();
    };
    client.on('error', fail);
    client.on('end', fail);
    client.on('notification', (message) => this.channels.get(message.channel)?.());
  }

  async query<R>(sql: string, params?: unknown[]): Promise<SqlResult<R>> {
    try {
      return await this.q.query<R>(sql, params);
    } catch (error) {
      throw connectionLost(error, 'unknown');
    }
  }

  async tryLock(space: number, id: number): Promise<boolean> {
    const { rows } = await this.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [
      space,
      id,
    ]);
    return rows[0]!.ok;
  }

  async unlock(space: number, id: number): Promise<void> {
    await this.query('SELECT pg_advisory_unlock($1::int, $2::int)', [space, id]);
  }

  async announce(space: number): Promise<void> {
    await this.query('SELECT pg_advisory_lock($1::int, pg_backend_pid())', [space]);
  }

  async countAnnounced(space: number): Promise<number> {
    // pg_locks lists the whole server, but advisory locks live in one database: readers of
    // a namesake outbox in another database share none of these key ranges.
    const { rows } = await this.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = ($1::int)::oid
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [space],
    );
    return rows[0]!.n;
  }

  async listen(channel: string, onNotify: () => void): Promise<void> {
    this.channels.set(channel, onNotify);
    await this.query(`LISTEN "${channel}"`);
  }

  onLost(callback: () => void): void {
    this.lost.push(callback);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const wasAlive = this.alive;
    this.alive = false;
    // The connection is ended, not returned to the pool: it carries listeners and LISTENs.
    if (wasAlive) await this.q.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    this.client.release(true);
  }
}
