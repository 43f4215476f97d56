import { ConfigError } from '@tandem/core';
import type { Queryable } from './driver.js';

/** Where the store's tables live: schema and table name prefix. */
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
  sagas: string;
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

/** The quoted table names for given TableOptions. */
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
    sagas: q('sagas'),
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
-- Records the broker refused: how often, why, when to try again, and when they were parked.
ALTER TABLE ${t.outbox}
  ADD COLUMN IF NOT EXISTS attempts        integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS last_error      text,
  ADD COLUMN IF NOT EXISTS next_attempt_at timestamptz,
  ADD COLUMN IF NOT EXISTS parked_at       timestamptz;
-- The few refused records, by key: a claim skips every later record of their keys.
CREATE INDEX IF NOT EXISTS "${prefix}outbox_refused" ON ${t.outbox} (key, seq) WHERE published_at IS NULL AND attempts > 0;

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

-- Saga instances: one row per (saga, id), locked by the transaction of the step that drives it.
CREATE TABLE IF NOT EXISTS ${t.sagas} (
  saga       text        NOT NULL,
  id         text        NOT NULL,
  version    integer     NOT NULL,
  status     text        NOT NULL,
  state      jsonb       NOT NULL,
  data       jsonb       NOT NULL,
  due_at     timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (saga, id)
);
-- The clock polls the few instances with a timeout pending.
CREATE INDEX IF NOT EXISTS "${prefix}sagas_due_at" ON ${t.sagas} (due_at) WHERE due_at IS NOT NULL;
-- Operators list instances by status, newest or stuck first; the janitor purges ended ones by age.
CREATE INDEX IF NOT EXISTS "${prefix}sagas_status_updated_at" ON ${t.sagas} (status, updated_at);
`;
}

/** What the DDL leaves behind, to compare with the catalog; undefined when it does more than this reads. */
function expectedBy(statements: string[], schema: string) {
  const relations: string[] = [];
  const columns: Array<[string, string]> = [];
  const dropped: Array<[string, string]> = [];
  for (const statement of statements) {
    const sql = statement.replace(/^--.*$/gm, '').trim();
    const table = /^CREATE TABLE IF NOT EXISTS (\S+)/.exec(sql);
    const index = /^CREATE INDEX IF NOT EXISTS (\S+)/.exec(sql);
    const altered = /^ALTER TABLE (\S+)\s+(.*)$/s.exec(sql);
    if (table) relations.push(table[1]!);
    else if (index) relations.push(`"${schema}".${index[1]!}`);
    else if (altered) {
      const name = altered[1]!;
      for (const action of altered[2]!.split(/,\s*(?=ADD|DROP)/)) {
        const added = /^ADD COLUMN IF NOT EXISTS (\w+)/.exec(action);
        const gone = /^DROP COLUMN IF EXISTS (\w+)/.exec(action);
        if (added) columns.push([name, added[1]!]);
        else if (gone) dropped.push([name, gone[1]!]);
        else if (!/^SET \(/.test(action)) return undefined;
      }
    } else if (!/^CREATE SCHEMA IF NOT EXISTS /.test(sql)) return undefined;
  }
  return { relations, columns, dropped };
}

/**
 * True when every table, index and column the DDL makes exists and every column it drops
 * is gone. DDL takes table locks even when IF [NOT] EXISTS makes it a no-op (CREATE INDEX
 * a SHARE lock, ADD or DROP COLUMN an ACCESS EXCLUSIVE one), which would queue every
 * write to the table behind any open transaction that wrote to it; a current schema is
 * left alone.
 */
async function isCurrent(q: Queryable, statements: string[], schema: string): Promise<boolean> {
  const expected = expectedBy(statements, schema);
  if (!expected) return false;
  const { rows } = await q.query<{ wrong: number }>(
    `SELECT (SELECT count(*) FROM json_array_elements_text($1::json) AS r(name) WHERE to_regclass(r.name) IS NULL)
          + (SELECT count(*) FROM json_array_elements($2::json) AS c(pair) WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
               WHERE a.attrelid = to_regclass(c.pair->>0) AND a.attname = c.pair->>1 AND NOT a.attisdropped))
          + (SELECT count(*) FROM json_array_elements($3::json) AS c(pair) WHERE EXISTS (SELECT 1 FROM pg_attribute a
               WHERE a.attrelid = to_regclass(c.pair->>0) AND a.attname = c.pair->>1 AND NOT a.attisdropped)) AS wrong`,
    [JSON.stringify(expected.relations), JSON.stringify(expected.columns), JSON.stringify(expected.dropped)],
  );
  return Number(rows[0]?.wrong) === 0;
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
    if (await isCurrent(q, statements, t.schema)) return;
    await q.query('SELECT pg_advisory_xact_lock($1::int)', [t.migrationSpace]);
    for (const statement of statements) await q.query(statement);
  });
}
