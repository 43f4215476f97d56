/**
 * The fault run's invariants against a real PostgreSQL: a consistent shop reads all OK,
 * and each planted inconsistency (what a fault could leave behind) fails exactly its row.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeTcp, serviceAvailable } from '@tandem/core/testing';
import { migrationSql } from '@tandem/store-postgres';
import { schema as shopSchema } from '../../src/db.js';
import { allRows, snapshot, type LoadResult, type RunFacts } from '../../scripts/chaos/counts.mjs';

const postgres = await serviceAvailable('PostgreSQL on 127.0.0.1:5432', () => probeTcp('127.0.0.1', 5432));
const schema = `chaos_counts_${randomBytes(4).toString('hex')}`;

const facts: RunFacts = {
  deadLetters: { shipping: 0, notifications: 0 },
  unexpectedExits: [],
  stops: [{ name: 'orders', code: 0, hung: false }],
  recoveries: [{ fault: 'kill:inventory', ms: 300 }],
  recoveryBoundMs: 5_000,
  drainMs: 60_000,
  settledMs: 800,
};

describe.runIf(postgres)('chaos counts', () => {
  const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
  const sql = (text: string, params?: unknown[]) => client.query(text, params);
  const load: LoadResult[] = [
    { index: 0, key: 'k-0', declined: false, outcome: 'accepted', orderId: 'o0' },
    { index: 1, key: 'k-1', declined: false, outcome: 'accepted', orderId: 'o1' },
    { index: 2, key: 'k-2', declined: true, outcome: 'rejected', orderId: 'o2', reason: 'payment declined' },
  ];
  const failing = async (loadResults = load, run = facts) =>
    allRows(await snapshot(client, schema), loadResults, run)
      .filter((r) => !r.ok)
      .map((r) => r.metric);

  beforeAll(async () => {
    await client.connect();
    await sql(`CREATE SCHEMA ${schema}`);
    await sql(`SET search_path TO ${schema}`);
    for (const statements of Object.values(shopSchema)) for (const s of statements) await sql(s);
    await sql(migrationSql({ schema }));
    // Two accepted orders (tea 2 + mug 1, coffee 1), shipped and notified; one declined, released and notified.
    await sql(`INSERT INTO shop_orders (order_id, customer, email, total, status, reason) VALUES
      ('o0', 'k-0', 'a@x.test', 10, 'shipped', NULL), ('o1', 'k-1', 'b@x.test', 4, 'shipped', NULL),
      ('o2', 'k-2', 'c@x.test', 3, 'rejected', 'payment declined')`);
    await sql(`INSERT INTO shop_reservations (order_id, sku, qty, released) VALUES
      ('o0', 'tea', 2, false), ('o0', 'mug', 1, false), ('o1', 'coffee', 1, false), ('o2', 'tea', 1, true)`);
    await sql(
      `UPDATE shop_stock SET available = available - CASE sku WHEN 'tea' THEN 2 ELSE 1 END WHERE sku IN ('tea', 'mug', 'coffee')`,
    );
    await sql(
      `INSERT INTO shop_payments (order_id, amount, status) VALUES ('o0', 10, 'authorized'), ('o1', 4, 'authorized'), ('o2', 3, 'declined')`,
    );
    await sql(
      `INSERT INTO shop_shipments (order_id, tracking, status) VALUES ('o0', 'T0', 'scheduled'), ('o1', 'T1', 'scheduled')`,
    );
    await sql(`INSERT INTO shop_notifications (message_id, order_id, kind, email, body) VALUES
      ('m1', 'o0', 'order-confirmed', 'a', ''), ('m2', 'o0', 'shipped', 'a', ''), ('m3', 'o1', 'order-confirmed', 'b', ''),
      ('m4', 'o1', 'shipped', 'b', ''), ('m5', 'o2', 'payment-failed', 'c', '')`);
    await sql(`INSERT INTO ${schema}.tandem_outbox (bucket, topic, key, headers, body, published_at) VALUES
      (0, 'orders.placed', 'o0', '{}', '', now()), (0, 'orders.placed', 'o1', '{}', '', now()),
      (0, 'shipping.scheduled', 'o0', '{}', '', now()), (0, 'shipping.scheduled', 'o1', '{}', '', now()),
      (0, 'payments.failed', 'o2', '{}', '', now())`);
  });

  afterAll(async () => {
    await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client.end();
  });

  it('reads a consistent shop as all OK', async () => {
    const rows = allRows(await snapshot(client, schema), load, facts);
    expect(rows.filter((r) => !r.ok)).toEqual([]);
    expect(rows.find((r) => r.metric === 'accepted orders with a shipment')).toMatchObject({
      expected: '2',
      observed: '2',
    });
  });

  it('fails the row of each planted inconsistency, and only that row', async () => {
    const plants: Array<[string, string, string[]?]> = [
      [
        `INSERT INTO shop_notifications (message_id, order_id, kind, email, body) VALUES ('m6', 'o0', 'shipped', 'a', '')`,
        'notifications sent twice (order, kind)',
      ],
      [
        `INSERT INTO ${schema}.tandem_outbox (bucket, topic, key, headers, body, published_at) VALUES (0, 'shipping.scheduled', 'o1', '{}', '', now())`,
        'events written twice (topic, order)',
      ],
      [
        `INSERT INTO ${schema}.tandem_outbox (bucket, topic, key, headers, body, published_at) VALUES (0, 'orders.placed', 'ghost', '{}', '', now())`,
        'events without their committed write',
      ],
      [
        `INSERT INTO ${schema}.tandem_outbox (bucket, topic, key, headers, body) VALUES (0, 'orders.cancelled', 'o1', '{}', '')`,
        'outbox rows still pending',
      ],
      [
        `UPDATE shop_stock SET available = available - 1 WHERE sku = 'coffee'`,
        'stock taken minus stock held by reservations',
      ],
      [
        `INSERT INTO shop_reservations (order_id, sku, qty) VALUES ('lost', 'mug', 1); UPDATE shop_stock SET available = available - 1 WHERE sku = 'mug'`,
        'reservations held without an accepted order',
      ],
      [
        `INSERT INTO shop_payments (order_id, amount, status) VALUES ('lost', 1, 'authorized')`,
        'payments authorized without an accepted order',
      ],
      [
        `INSERT INTO shop_orders (order_id, customer, email, total, status) VALUES ('o0b', 'k-0', 'a@x.test', 10, 'accepted')`,
        'idempotency keys with more than one order',
        [
          // The second run of key k-0 is an accepted order nobody shipped, notified or charged.
          'accepted orders with a shipment',
          'accepted orders marked shipped',
          'accepted orders notified order-confirmed',
          'accepted orders notified shipped',
          'accepted orders without an authorized payment',
        ],
      ],
    ];
    const expected: string[] = [];
    for (const [statement, metric, alsoFailing = []] of plants) {
      await sql(statement);
      expected.push(metric, ...alsoFailing);
      expect(new Set(await failing()), `after planting: ${metric}`).toEqual(new Set(expected));
    }
  });

  it('fails on what the client saw and the run recorded', async () => {
    const lostAnswer: LoadResult = {
      index: 3,
      key: 'k-3',
      declined: false,
      outcome: 'accepted',
      orderId: 'never-committed',
    };
    const unanswered: LoadResult = { index: 4, key: 'k-4', declined: false, outcome: 'unanswered', detail: '503' };
    const rows = allRows(await snapshot(client, schema), [...load, lostAnswer, unanswered], {
      ...facts,
      deadLetters: { notifications: 2 },
      unexpectedExits: [{ name: 'orders', code: 1, signal: null, at: '12.0 s' }],
      stops: [{ name: 'payments', code: 0, hung: true }],
      recoveries: [{ fault: 'start-order', ms: 10_400 }],
      settledMs: undefined,
    });
    const failed = rows.filter((r) => !r.ok).map((r) => r.metric);
    expect(failed).toEqual(
      expect.arrayContaining([
        'orders answered (accepted or rejected)',
        'accepted answers found in the database',
        'dead letters',
        'services that exited on their own',
        'graceful stops (SIGTERM) that failed or hung',
        'slowest recovery after a fault (next accepted order)',
        'events drained after the load',
      ]),
    );
    expect(rows.find((r) => r.metric.startsWith('slowest recovery'))).toMatchObject({
      observed: '10.4 s',
      note: 'start-order',
    });
  });
});
