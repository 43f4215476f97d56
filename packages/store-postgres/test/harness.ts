import { randomBytes } from 'node:crypto';
import { serviceAvailable, type StoreHarness } from '@tandem/core/testing';
import pg from 'pg';
import { httpServer } from '@tandem/transport-http';
import type { Queryable, SqlStore } from '../src/index.js';

export const PG_URL = process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the test PostgreSQL answers; with TANDEM_REQUIRE_SERVICES=1 an unreachable one fails the run. */
export function postgresAvailable(): Promise<boolean> {
  return serviceAvailable('PostgreSQL at 127.0.0.1:5432', async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
    await client.connect();
    await client.end();
  });
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

/** A schema per test file, so suites running side by side never share tables or relay locks. */
export function testSchema(): string {
  return `t_${randomBytes(5).toString('hex')}`;
}

/** A table prefix per test, for tests that need tables of their own inside the file's schema. */
export function testTablePrefix(): string {
  return `t${randomBytes(4).toString('hex')}_`;
}

/** The conformance harness over stores that share one schema; side effects go to `<schema>.effects`. */
export function sqlHarness<Tx>(
  name: string,
  schema: string,
  create: () => SqlStore<Tx>,
  admin: () => Queryable,
  within: (tx: Tx) => Queryable,
): StoreHarness<Tx> {
  return {
    name,
    create: async () => create(),
    effects: {
      async write(tx, id) {
        await within(tx).query(`INSERT INTO "${schema}".effects (id) VALUES ($1)`, [id]);
      },
      async count(id) {
        const { rows } = await admin().query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".effects WHERE id = $1`,
          [id],
        );
        return rows[0]!.n;
      },
    },
    httpServer: () => httpServer({ port: 0, host: '127.0.0.1' }),
  };
}
