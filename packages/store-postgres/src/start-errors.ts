/**
 * What a store's connect() fails with when the database cannot be used at all: one
 * ConfigError or UnavailableError naming the setting the URL came from (TANDEM_STORE_URL)
 * and the fix, instead of the driver's own error, which names no setting.
 */
import { ConfigError, UnavailableError } from '@tandem/core';
import { isConnectionFault } from './connection-faults.js';

/** Where a store connects, for messages: never the user or the password. */
export interface PgTarget {
  /** The setting the connection came from: TANDEM_STORE_URL, or the option in code. */
  setting: string;
  host: string;
  port: string;
  database: string | undefined;
}

/** Pool settings given as fields instead of a connection string. */
export interface PgFields {
  host?: string;
  port?: number | string;
  database?: string;
}

/** The host, port and database of a connection string or pool fields (libpq's defaults where neither names one). */
export function targetOf(setting: string, connectionString: string | undefined, fields: PgFields = {}): PgTarget {
  let url: URL | undefined;
  try {
    url = connectionString === undefined ? undefined : new URL(connectionString);
  } catch {
    url = undefined;
  }
  const database = url?.pathname.replace(/^\//, '');
  return {
    setting,
    host: url?.hostname || fields.host || process.env.PGHOST || 'localhost',
    port: url?.port || String(fields.port ?? '') || process.env.PGPORT || '5432',
    database: database ? decodeURIComponent(database) : (fields.database ?? process.env.PGDATABASE),
  };
}

/** SQLSTATEs of a refused login: 28P01 wrong password, 28000 no such role or not allowed by pg_hba.conf. */
const AUTH_STATES = new Set(['28P01', '28000']);

export function pgStartError(error: unknown, target: PgTarget): unknown {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const code = (cause as { code?: unknown }).code;
  const where = `${target.host}:${target.port}`;
  if (code === '3D000') {
    const db = target.database ?? 'the database';
    return new ConfigError(
      `${target.setting}: database '${db}' does not exist on ${where}; create it (createdb ${db}) or point the URL at an existing one`,
      { cause },
    );
  }
  if (typeof code === 'string' && AUTH_STATES.has(code)) {
    return new ConfigError(
      `${target.setting}: PostgreSQL at ${where} refused the credentials (SQLSTATE ${code}); fix the user and password in the URL, or the server's pg_hba.conf`,
      { cause },
    );
  }
  if (isConnectionFault(cause)) {
    const why = typeof code === 'string' ? code : (cause as Error).message;
    return new UnavailableError(
      `${target.setting}: cannot reach the database at ${where} (${why}); start PostgreSQL, or fix the host and port in the URL`,
      { cause },
    );
  }
  return error;
}

/** An embedded database whose directory cannot be made or written. */
export function pgliteStartError(error: unknown, setting: string, dataDir: string): ConfigError {
  const code = (error as { code?: unknown }).code;
  const why = typeof code === 'string' ? code : (error as Error).message;
  return new ConfigError(
    `${setting}: cannot open the PGlite database at '${dataDir}' (${why}); point pglite:// at a directory this process can create and write, e.g. pglite://./.data/app`,
    { cause: error },
  );
}
