import { parseArgs } from 'node:util';
import { ConfigError } from '../errors/errors.js';
import type { CliIo } from './io.js';

export const storeSqlUsage = `Usage:
  tandem store-sql [--schema S] [--table-prefix P]

Prints the DDL of @tandem/store-postgres (outbox, inbox, idempotency tables) for your migration tool.
`;

export const storeSqlOptions = { schema: { type: 'string' }, 'table-prefix': { type: 'string' } } as const;

// Held in a variable so the compiler does not resolve it: core does not depend on the store package.
const STORE_PACKAGE = '@tandem/store-postgres';

/** `tandem store-sql`: the tables the PostgreSQL store would create, for teams that run their own migrations. */
export async function storeSql(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: storeSqlOptions,
    strict: true,
    allowPositionals: false,
  });
  let mod: { migrationSql?: (options: { schema?: string; tablePrefix?: string }) => string };
  try {
    mod = (await import(STORE_PACKAGE)) as typeof mod;
  } catch (cause) {
    throw new ConfigError(`tandem store-sql needs ${STORE_PACKAGE}; install it with npm install ${STORE_PACKAGE}`, {
      cause,
    });
  }
  if (typeof mod.migrationSql !== 'function') throw new ConfigError(`${STORE_PACKAGE} does not export migrationSql()`);
  io.stdout.write(
    mod.migrationSql({
      ...(values.schema !== undefined ? { schema: values.schema } : {}),
      ...(values['table-prefix'] !== undefined ? { tablePrefix: values['table-prefix'] } : {}),
    }),
  );
  return 0;
}
