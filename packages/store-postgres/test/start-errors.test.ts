import { ConfigError, fromEnv, UnavailableError, type Store } from '@tandem/core';
import { probeTcp, serviceAvailable } from '@tandem/core/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';

const available = await serviceAvailable('PostgreSQL at 127.0.0.1:5432', () => probeTcp('127.0.0.1', 5432));

/** What connect() of the store TANDEM_STORE_URL names fails with; the store is closed after. */
async function startFailure(url: string): Promise<Error> {
  const store = (await fromEnv({ TANDEM_STORE_URL: url, TANDEM_LOG_LEVEL: 'silent' })).store as Store;
  try {
    await store.connect!();
  } catch (error) {
    return error as Error;
  } finally {
    await store.close?.();
  }
  throw new Error(`connect() to ${url} succeeded`);
}

describe.skipIf(!available)('store-postgres start-up errors on PostgreSQL', () => {
  it('names TANDEM_STORE_URL and createdb for a database that does not exist', async () => {
    const error = await startFailure('postgres://postgres:s3cr3t@127.0.0.1:5432/tandem_no_such_shop');
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      "TANDEM_STORE_URL: database 'tandem_no_such_shop' does not exist on 127.0.0.1:5432; create it (createdb tandem_no_such_shop) or point the URL at an existing one",
    );
  });

  it('says the credentials were refused, naming neither the user nor the password', async () => {
    const error = await startFailure('postgres://tandem_no_such_role:s3cr3t@127.0.0.1:5432/test');
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /^TANDEM_STORE_URL: PostgreSQL at 127\.0\.0\.1:5432 refused the credentials \(SQLSTATE 28/,
    );
    expect(error.message).not.toMatch(/s3cr3t|tandem_no_such_role/);
  });

  it("names the database of the caller's own pool, given as fields", async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'tandem_no_such_db' });
    const store = postgresStore({ pool, cleanupIntervalMs: 0 });
    const error = (await store.connect().catch((e: unknown) => e)) as Error;
    await store.close();
    await pool.end();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /^postgresStore pool: database 'tandem_no_such_db' does not exist on 127\.0\.0\.1:5432;/,
    );
  });

  it('says which server cannot be reached', async () => {
    const error = await startFailure('postgres://postgres:s3cr3t@127.0.0.1:1/test');
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe(
      'TANDEM_STORE_URL: cannot reach the database at 127.0.0.1:1 (ECONNREFUSED); start PostgreSQL, or fix the host and port in the URL',
    );
  });
});

describe('store-postgres start-up errors on PGlite', () => {
  // Tests may run as root, whom file modes do not stop: a path under a regular file, and one
  // in /proc, cannot be created by anyone.
  for (const dir of ['/etc/hostname/tandem-data', '/proc/tandem-data']) {
    it(`names TANDEM_STORE_URL and the path for a directory that cannot be created (${dir})`, async () => {
      const error = await startFailure(`pglite://${dir}`);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(
        new RegExp(
          `^TANDEM_STORE_URL: cannot open the PGlite database at '${dir}' \\(E[A-Z]+\\); point pglite:// at a directory`,
        ),
      );
    });
  }
});
