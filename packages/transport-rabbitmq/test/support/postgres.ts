import { serviceAvailable } from '@tandem/core/testing';
import pg from 'pg';

/** The PostgreSQL the saga suite keeps its instances in. */
export const PG_URL = process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether it answers; with TANDEM_REQUIRE_SERVICES=1 an unreachable one fails the run. */
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
