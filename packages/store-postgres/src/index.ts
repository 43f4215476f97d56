export { SqlStore, postgresStore, pgliteStore } from './store.js';
export type { SqlStoreOptions, PostgresStoreOptions, PgliteStoreOptions, PGlite, Transaction } from './store.js';
export { storeFromUrl } from './from-url.js';
export { SqlSagaStore } from './sagas.js';
export { migrate, migrationSql, tablesOf } from './schema.js';
export type { TableOptions, Tables } from './schema.js';
export type { PgDriverOptions } from './pg-driver.js';
export type { PgliteDriverOptions } from './pglite-driver.js';
export type { SqlDriver, SqlSession, Queryable, SqlResult } from './driver.js';
