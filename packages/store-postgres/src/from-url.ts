import { ConfigError, parseDuration, type Store } from '@tandem/core';
import { pgliteStore, postgresStore } from './store.js';

/**
 * TANDEM_STORE_URL for this package: `postgres://user:pass@host:5432/db` (or postgresql://)
 * and `pglite://./data` (a directory, relative to the working directory), `pglite:///abs/path`,
 * or `pglite://memory`. `?schema=name` picks the PostgreSQL schema for the tables;
 * `?outboxRetention=7d` keeps published outbox rows that long, which is how far back
 * `tandem replay` reaches (default 1h).
 */
export function storeFromUrl(url: URL, context: { setting?: string } = {}): Store {
  const setting = context.setting ?? 'TANDEM_STORE_URL';
  const schema = url.searchParams.get('schema') ?? undefined;
  const retentionText = url.searchParams.get('outboxRetention');
  const tables = {
    ...(schema !== undefined ? { schema } : {}),
    ...(retentionText !== null
      ? { retention: { outboxMs: parseDuration(retentionText, `${setting} parameter outboxRetention`) } }
      : {}),
  };
  switch (url.protocol) {
    case 'postgres:':
    case 'postgresql:': {
      const connection = new URL(url.href);
      connection.searchParams.delete('schema');
      connection.searchParams.delete('outboxRetention');
      return postgresStore({ connectionString: connection.href, setting, ...tables });
    }
    case 'pglite:': {
      const dir = decodeURIComponent(url.host + url.pathname);
      const dataDir = dir === '' || dir === 'memory' ? undefined : dir;
      return pgliteStore({ ...(dataDir !== undefined ? { dataDir } : {}), setting, ...tables });
    }
    default:
      throw new ConfigError(
        `${setting}: @tandem/store-postgres does not handle '${url.protocol}'; expected postgres://, postgresql:// or pglite://`,
      );
  }
}
