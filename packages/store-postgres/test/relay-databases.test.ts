import { randomBytes } from 'node:crypto';
import { defineEvent, encodeEvent, MemoryBroker, MemoryTransport, outboxRelay, type OutboxRelay } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresStore, type SqlStore } from '../src/index.js';
import { PG_URL, postgresAvailable } from './harness.js';

const available = await postgresAvailable();

const Counted = defineEvent('relay-databases.counted', { data: z.object({ n: z.number() }) });

/**
 * Advisory locks belong to one database. Two services with their own databases on one
 * server, both with the default schema and prefix, must each relay all of their own key
 * ranges: the readers of the other database do not share them.
 */
describe.skipIf(!available)('relays of two databases on one PostgreSQL server', () => {
  const suffix = randomBytes(4).toString('hex');
  const databases = [`tandem_relay_${suffix}_a`, `tandem_relay_${suffix}_b`];
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  const stores: SqlStore<unknown>[] = [];
  const relays: OutboxRelay[] = [];
  const observers: MemoryTransport[] = [];

  afterAll(async () => {
    for (const relay of relays) await relay.stop().catch(() => undefined);
    for (const observer of observers) await observer.close().catch(() => undefined);
    for (const store of stores) await store.close().catch(() => undefined);
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('each relay takes all 32 ranges of its own database and delivers every event', { timeout: 30_000 }, async () => {
    const seen = databases.map(() => [] as number[]);
    for (const [i, name] of databases.entries()) {
      await admin.query(`CREATE DATABASE "${name}"`);
      const url = new URL(PG_URL);
      url.pathname = `/${name}`;
      const store = postgresStore({ connectionString: url.href, cleanupIntervalMs: 0 }) as SqlStore<unknown>;
      stores.push(store);
      await store.connect();
      const broker = new MemoryBroker();
      const observer = new MemoryTransport({ broker });
      observers.push(observer);
      await observer.subscribe({ topics: [Counted.topic], group: 'observer', concurrency: 4 }, async (m) => {
        seen[i]!.push((JSON.parse(new TextDecoder().decode(m.body)) as { n: number }).n);
        return { kind: 'ack' };
      });
      const relay = outboxRelay(store.outbox, new MemoryTransport({ broker }), {
        balanceIntervalMs: 100,
        pollIntervalMs: 100,
      });
      relays.push(relay);
      await relay.start();
    }
    // Several balance rounds with both readers announced: a reader that counted the other
    // database's reader would settle on 16 ranges.
    await eventually(
      'each relay owns all 32 key ranges of its database',
      () => relays.every((r) => r.stats.owned === 32),
      5_000,
    );
    const events = 64;
    for (const store of stores) {
      await store.transaction((tx) =>
        store.outbox.append(
          tx,
          Array.from({ length: events }, (_, n) => encodeEvent(Counted, { n }, { source: 'test', key: `key-${n}` })),
        ),
      );
    }
    await eventually(
      `${events} events delivered from each database`,
      () => seen.every((s) => s.length >= events),
      10_000,
    );
    for (const s of seen) expect(new Set(s).size).toBe(events);
    expect(relays.map((r) => r.stats.owned)).toEqual([32, 32]);
  });
});
