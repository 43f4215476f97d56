// The run's own PostgreSQL database, so terminating "the services' connections" touches
// nobody else's sessions, and a schema of its own for Tandem's tables: advisory-lock
// spaces are derived from the schema and prefix, and on main they are counted across
// every database of the server (issue 17 item 1), so the default schema would share
// relay locks with whoever else runs a Tandem relay on this server.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const COUNTS_APPLICATION = 'tandem-chaos-counts';

/**
 * @param {string} adminUrl a database to connect to for CREATE/DROP DATABASE (not the run's own)
 * @param {{ label?: string }} [options] label: what the names start with (`tandem_<label>_<random>`, schema `<label>_<random>`)
 */
export async function createRunDatabase(adminUrl, { label = 'chaos' } = {}) {
  const id = randomBytes(4).toString('hex');
  const name = `tandem_${label}_${id}`;
  const schema = `${label}_${id}`;
  const admin = new pg.Client({ connectionString: adminUrl, application_name: `tandem-${label}-admin-${id}` });
  await admin.connect();
  admin.on('error', () => undefined);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    schema,
    url: url.href,
    /** The store URL the services get: the run's database, Tandem's tables in the run's schema. */
    storeUrl: `${url.href}${url.search ? '&' : '?'}schema=${schema}`,
    /** Ends every connection to the run's database except the caller's: the services' and nobody else's. */
    async terminateConnections() {
      const { rows } = await admin.query(
        'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2',
        [name, COUNTS_APPLICATION],
      );
      return rows.filter((r) => r.ok).length;
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A client on the run's database, for the counts. */
export async function connectRunDatabase(url) {
  const client = new pg.Client({ connectionString: url, application_name: COUNTS_APPLICATION });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
