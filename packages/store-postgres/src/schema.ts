import { ConfigError } from '@tandem/core';
import type { Queryable } from './driver.js';

export interface TableOptions {
  /** PostgreSQL schema for the tables. Default 'public'. */
  schema?: string;
  /** Prefix of the table names. Default 'tandem_'. */
  tablePrefix?: string;
}

/** Qualified, quoted table names and the keys derived from them. */
export interface Tables {
  schema: string;
  outbox: string;
  inbox: string;
  idempotency: string;
  /** The NOTIFY channel appends signal on. */
  channel: string;
  /** Advisory-lock spaces: key ranges of this outbox, and its live readers. */
  bucketSpace: number;
  readerSpace: number;
  migrationSpace: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;

/** A 31-bit FNV-1a hash: stable advisory-lock spaces per table, so two outboxes never share locks. */
function space(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & 0x7fffffff;
}

export function tablesOf(options: TableOptions = {}): Tables {
  const schema = options.schema ?? 'public';
  const prefix = options.tablePrefix ?? 'tandem_';
  if (!IDENTIFIER.test(schema))
    throw new ConfigError(`store-postgres: schema '${schema}' must be a lower-case SQL identifier (a-z, 0-9, _)`);
  if (!/^[a-z_][a-z0-9_]{0,20}$/.test(prefix)) {
    throw new ConfigError(
      `store-postgres: tablePrefix '${prefix}' must be lower-case letters, digits and _ (at most 21)`,
    );
  }
  const q = (name: string): string => `"${schema}"."${prefix}${name}"`;
  const base = `${schema}.${prefix}`;
  return {
    schema,
    outbox: q('outbox'),
    inbox: q('inbox'),
    idempotency: q('idempotency'),
    channel: `${schema}_${prefix}outbox`,
    bucketSpace: space(`${base}outbox:buckets`),
    readerSpace: space(`${base}outbox:readers`),
    migrationSpace: space(`${base}migration`),
  };
}

/** The DDL, idempotent: safe to run on every start, and printable for a migration tool. */
export function migrationSql(options: TableOptions = {}): string {
  const t = tablesOf(options);
  const prefix = options.tablePrefix ?? 'tandem_';
  return `CREATE SCHEMA IF NOT EXISTS "${t.schema}";

CREATE TABLE IF NOT EXISTS ${t.outbox} (
  seq          bigserial PRIMARY KEY,
  bucket       integer     NOT NULL,
  topic        text        NOT NULL,
  key          text,
  headers      jsonb       NOT NULL,
  body         bytea       NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
-- A queue table: every row is updated once and deleted later, so vacuum it early and often.
ALTER TABLE ${t.outbox} SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0);
CREATE INDEX IF NOT EXISTS "${prefix}outbox_pending" ON ${t.outbox} (seq) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS "${prefix}outbox_published_at" ON ${t.outbox} (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS ${t.inbox} (
  consumer_group text        NOT NULL,
  message_id     text        NOT NULL,
  handled_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, message_id)
);
CREATE INDEX IF NOT EXISTS "${prefix}inbox_handled_at" ON ${t.inbox} (handled_at);

CREATE TABLE IF NOT EXISTS ${t.idempotency} (
  scope       text        NOT NULL,
  key         text        NOT NULL,
  fingerprint text        NOT NULL,
  lease       text        NOT NULL,
  outcome     text,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);
-- Tables made before records were leases: the owner token and a transport-neutral outcome
-- replace the stored HTTP response (a record made by an older version is simply not replayed).
ALTER TABLE ${t.idempotency} ADD COLUMN IF NOT EXISTS lease text NOT NULL DEFAULT '';
ALTER TABLE ${t.idempotency} ADD COLUMN IF NOT EXISTS outcome text;
ALTER TABLE ${t.idempotency} DROP COLUMN IF EXISTS status, DROP COLUMN IF EXISTS headers, DROP COLUMN IF EXISTS body;
CREATE INDEX IF NOT EXISTS "${prefix}idempotency_expires_at" ON ${t.idempotency} (expires_at);
`;
}

/** Creates the tables if they are missing. Instances starting together take turns (a transaction-level lock). */
export async function migrate(
  db: { transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T> },
  options: TableOptions = {},
): Promise<void> {
  const t = tablesOf(options);
  const statements = migrationSql(options)
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  await db.transaction(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1::int)', [t.migrationSpace]);
    for (const statement of statements) await q.query(statement);
  });
}
