import {
  fromEnv,
  MemoryBroker,
  MemoryTransport,
  outboxRelay,
  encodeEvent,
  defineEvent,
  type RetentionOptions,
  type SagaInstance,
} from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import pg from 'pg';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationSql, postgresStore, storeFromUrl, type SqlStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable } from './harness.js';

const available = await postgresAvailable();

const Ping = defineEvent('pings.sent', { data: z.object({ n: z.number() }) });

describe.skipIf(!available)('store-postgres specifics on PostgreSQL', () => {
  const schema = testSchema();
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const stores: SqlStore<unknown>[] = [];
  const open = async (options: { retention?: RetentionOptions } = {}) => {
    const store = postgresStore({
      connectionString: PG_URL,
      schema,
      cleanupIntervalMs: 0,
      ...options,
    }) as SqlStore<unknown>;
    await store.connect();
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    for (const store of stores) await store.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('migrates idempotently, also when instances start together', async () => {
    await Promise.all([open(), open(), open()]);
    await open();
    const { rows } = await admin.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'tandem_idempotency',
      'tandem_inbox',
      'tandem_outbox',
      'tandem_sagas',
    ]);
    expect(migrationSql({ schema: 'app' })).toContain('CREATE TABLE IF NOT EXISTS "app"."tandem_outbox"');
  });

  it('upgrades an outbox table of an earlier version on connect, rows and all', async () => {
    const old = testSchema();
    try {
      await admin.query(`CREATE SCHEMA "${old}"`);
      // The table as the first release created it, with a row waiting.
      await admin.query(`CREATE TABLE "${old}".tandem_outbox (
        seq bigserial PRIMARY KEY, bucket integer NOT NULL, topic text NOT NULL, key text,
        headers jsonb NOT NULL, body bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz)`);
      await admin.query(
        `INSERT INTO "${old}".tandem_outbox (bucket, topic, key, headers, body) VALUES (0, 'pings.sent', 'k', '{}', '\\x7b7d')`,
      );
      await admin.query(`CREATE TABLE "${old}".tandem_idempotency (
        scope text NOT NULL, key text NOT NULL, fingerprint text NOT NULL, status integer, headers jsonb,
        body text, expires_at timestamptz NOT NULL, PRIMARY KEY (scope, key))`);
      const store = postgresStore({ connectionString: PG_URL, schema: old, cleanupIntervalMs: 0 });
      stores.push(store as SqlStore<unknown>);
      await store.connect();
      const { rows } = await admin.query(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'tandem_outbox'
           AND column_name IN ('attempts', 'last_error', 'next_attempt_at', 'parked_at') ORDER BY column_name`,
        [old],
      );
      expect(rows.map((r) => r.column_name)).toEqual(['attempts', 'last_error', 'next_attempt_at', 'parked_at']);
      const idempotency = await admin.query(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'tandem_idempotency'
         ORDER BY column_name`,
        [old],
      );
      expect(idempotency.rows.map((r) => r.column_name)).toEqual([
        'expires_at',
        'fingerprint',
        'key',
        'lease',
        'outcome',
        'scope',
      ]);
      const reader = await store.outbox.openReader();
      await reader.balance();
      expect((await reader.claim(10)).map((r) => [r.message.key, r.attempts])).toEqual([['k', 0]]);
      await reader.close();
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${old}" CASCADE`);
    }
  });

  it('adds the sagas table and its indexes to a database the previous version migrated, rows and all', async () => {
    const previous = testSchema();
    try {
      // Everything the previous version made is there; only the sagas table is new.
      await admin.query(migrationSql({ schema: previous }));
      await admin.query(`DROP TABLE "${previous}".tandem_sagas`);
      await admin.query(`INSERT INTO "${previous}".tandem_inbox (consumer_group, message_id) VALUES ('g', 'm')`);
      const store = postgresStore({ connectionString: PG_URL, schema: previous, cleanupIntervalMs: 0 });
      stores.push(store as SqlStore<unknown>);
      await store.connect();
      const { rows } = await admin.query(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'tandem_sagas' ORDER BY indexname`,
        [previous],
      );
      expect(rows.map((r) => r.indexname)).toEqual([
        'tandem_sagas_due_at',
        'tandem_sagas_pkey',
        'tandem_sagas_status_updated_at',
      ]);
      expect(await store.transaction((tx) => store.inbox.record(tx, 'g', 'm'))).toBe(false);
      const instance: SagaInstance = {
        saga: 's',
        id: '1',
        version: 1,
        status: 'running',
        state: {},
        data: { timeouts: {}, compensations: [], pending: {}, history: [] },
        createdAt: 1,
        updatedAt: 1,
      };
      expect(await store.transaction((tx) => store.sagas.save(tx, instance, 0))).toBe(true);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${previous}" CASCADE`);
    }
  });

  it('a current schema is not migrated again: start-up does not wait behind an open outbox write', async () => {
    await open();
    const writer = await admin.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(
        `INSERT INTO "${schema}".tandem_outbox (bucket, topic, key, headers, body) VALUES (0, 'pings.sent', 'w', '{}', '\\x7b7d')`,
      );
      // CREATE INDEX IF NOT EXISTS would wait for this transaction (and hold up every writer behind it).
      const started = open().then(() => 'started');
      const outcome = await Promise.race([started, new Promise((r) => setTimeout(() => r('waiting'), 5_000))]);
      expect(outcome).toBe('started');
    } finally {
      await writer.query('ROLLBACK');
      writer.release();
    }
  });

  it('splits the key ranges between live readers and takes them back when one leaves', async () => {
    const store = await open();
    const a = await store.outbox.openReader();
    const b = await store.outbox.openReader().catch(async (error: unknown) => {
      await a.close();
      throw error;
    });
    try {
      expect(await a.balance()).toBe(16);
      expect(await b.balance()).toBe(16);
      await a.close();
      expect(await b.balance()).toBe(32);
      const c = await store.outbox.openReader();
      expect(await c.balance()).toBe(0);
      expect(await b.balance()).toBe(16);
      expect(await c.balance()).toBe(16);
      await c.close();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a relay whose connection is killed reconnects and keeps publishing', async () => {
    const store = await open();
    const broker = new MemoryBroker();
    const seen: number[] = [];
    const observer = new MemoryTransport({ broker });
    await observer.subscribe({ topics: [Ping.topic], group: 'observer', concurrency: 1 }, async (m) => {
      seen.push(JSON.parse(new TextDecoder().decode(m.body)).n);
      return { kind: 'ack' };
    });
    const relay = outboxRelay(store.outbox, new MemoryTransport({ broker }), {
      retryDelayMs: 20,
      pollIntervalMs: 100,
      balanceIntervalMs: 100,
    });
    await relay.start();
    const send = (n: number) =>
      store.transaction((tx) => store.outbox.append(tx, [encodeEvent(Ping, { n }, { source: 'test', key: 'k' })]));
    await send(1);
    await eventually('first event', () => seen.length === 1);
    // Kill every session holding this outbox's key-range locks: the relay's own connection.
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = ($1::int)::oid`,
      [store.tables.bucketSpace],
    );
    await send(2);
    await eventually('the relay reconnected and published the next event', () => seen.includes(2));
    await relay.stop();
    await observer.close();
  });

  it('deletes published outbox rows, old inbox rows and expired idempotency records', async () => {
    const store = await open({ retention: { outboxMs: 0, inboxMs: 0 } });
    await store.transaction(async (tx) => {
      await store.outbox.append(tx, [encodeEvent(Ping, { n: 1 }, { source: 'test' })]);
      await store.inbox.record(tx, 'g', 'm1');
    });
    await store.idempotency.begin('scope', 'k', 'fp', 1);
    const reader = await store.outbox.openReader();
    await reader.balance();
    await reader.markPublished(await reader.claim(1_000));
    await reader.close();
    await new Promise((r) => setTimeout(r, 20));
    const removed = await store.cleanup();
    expect(removed.outbox).toBeGreaterThanOrEqual(1);
    expect(removed.inbox).toBeGreaterThanOrEqual(1);
    expect(removed.idempotency).toBeGreaterThanOrEqual(1);
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM "${schema}".tandem_outbox WHERE published_at IS NOT NULL`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('purges saga instances that ended longer ago than retention.sagasMs, and no others', async () => {
    const store = await open({ retention: { sagasMs: 60 * 60_000 } });
    const now = Date.now();
    const saga = `purge${now}`;
    const instance = (id: string, status: SagaInstance['status'], updatedAt: number): SagaInstance => ({
      saga,
      id,
      version: 1,
      status,
      state: {},
      data: { timeouts: {}, compensations: [], pending: {}, history: [] },
      createdAt: updatedAt,
      updatedAt,
    });
    const twoHoursAgo = now - 2 * 60 * 60_000;
    await store.transaction(async (tx) => {
      for (const row of [
        instance('completed-old', 'completed', twoHoursAgo),
        instance('compensated-old', 'compensated', twoHoursAgo),
        instance('completed-recent', 'completed', now),
        instance('parked-old', 'parked', twoHoursAgo),
        instance('running-old', 'running', twoHoursAgo),
      ])
        await store.sagas.save(tx, row, 0);
    });
    expect((await store.cleanup()).sagas).toBe(2);
    const left = (await store.sagas.list({ saga })).map((i) => i.id).sort();
    expect(left).toEqual(['completed-recent', 'parked-old', 'running-old']);
  });

  // PGlite compiles its WebAssembly on open: seconds on a loaded machine.
  it('TANDEM_STORE_URL selects PostgreSQL or PGlite', { timeout: 60_000 }, async () => {
    const url = new URL(`${PG_URL}?schema=${schema}`);
    const pgStore = storeFromUrl(url);
    expect(pgStore.name).toBe('postgres');
    expect(storeFromUrl(new URL('pglite://./data')).name).toBe('pglite');
    const kept = storeFromUrl(new URL(`${PG_URL}?schema=${schema}&outboxRetention=2h30m`));
    expect((kept as unknown as { retention: { outboxMs: number } }).retention.outboxMs).toBe(9_000_000);
    expect(() => storeFromUrl(new URL(`${PG_URL}?outboxRetention=soon`))).toThrow(
      "TANDEM_STORE_URL parameter outboxRetention: expected a duration like 90s, 10m, 2h or 1d, got 'soon'",
    );
    const config = await fromEnv({ TANDEM_STORE_URL: 'pglite://memory' });
    expect(config.store?.name).toBe('pglite');
    await config.store!.connect!();
    expect(await config.store!.health!()).toMatchObject({ ok: true });
    await config.store!.close!();
  });
});
