import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { brokers, stores, type BrokerName, type StoreName } from './choices.js';
import { UsageError } from './errors.js';

export interface Options {
  /** Absolute path of the directory to write. */
  readonly dir: string;
  /** The package name: the directory's last segment. */
  readonly name: string;
  readonly broker: BrokerName;
  readonly store: StoreName;
  /** Absolute path of a folder of @tandem/* tarballs (`npm run release:pack`), if given. */
  readonly tarballs: string | undefined;
  readonly force: boolean;
  readonly help: boolean;
}

export const usage = `Usage: create-tandem <directory> [--broker memory|amqp|kafka] [--store memory|postgres|pglite|redis]
                     [--tarballs <dir>] [--force]

Writes a Tandem service into <directory> (its last segment is the package name).
  --broker    the event broker: memory (in-process, default), amqp (RabbitMQ) or kafka
  --store     outbox, inbox and idempotency records: memory (default), postgres, pglite or redis
  --tarballs  a folder of @tandem/* tarballs (npm run release:pack) to install from instead of the registry
  --force     write into a directory that is not empty`;

// npm's rules for a package name without a scope: lower case, URL-safe, not starting with . or _.
const NAME = /^[a-z0-9][a-z0-9._~-]*$/;

function oneOf<K extends string>(flag: string, value: string | undefined, table: Record<K, unknown>): K {
  const names = Object.keys(table) as K[];
  if (value === undefined) return names[0]!;
  if ((names as string[]).includes(value)) return value as K;
  throw new UsageError(flag, `'${value}' is not one of ${names.join(', ')}; pass ${flag} ${names.join('|')}`);
}

/** Reads the command line; throws UsageError naming the flag and the fix. */
export function parseOptions(argv: readonly string[], cwd: string = process.cwd()): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        broker: { type: 'string' },
        store: { type: 'string' },
        tarballs: { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    const flag = /'(-[^']+)'/.exec(String((error as Error).message))?.[1] ?? 'arguments';
    throw new UsageError(flag, `${(error as Error).message.split(/\.\s/)[0]}; see create-tandem --help`);
  }
  const { values, positionals } = parsed;
  const help = values.help === true;
  if (positionals.length > 1) {
    throw new UsageError('<directory>', `expected one directory, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const given = positionals[0];
  if (given === undefined && !help) {
    throw new UsageError('<directory>', 'missing; pass the new project directory, e.g. create-tandem my-service');
  }
  const dir = resolve(cwd, given ?? '.');
  const name = basename(dir);
  if (!help && (!NAME.test(name) || name.length > 214)) {
    throw new UsageError(
      '<directory>',
      `'${name}' is not a valid package name; use lower-case letters, digits, '-', '.' or '_' (e.g. my-service)`,
    );
  }
  if (values.tarballs === '')
    throw new UsageError('--tarballs', 'is empty; pass the folder npm run release:pack wrote');
  return {
    dir,
    name,
    broker: oneOf('--broker', values.broker, brokers),
    store: oneOf('--store', values.store, stores),
    tarballs: values.tarballs === undefined ? undefined : resolve(cwd, values.tarballs),
    force: values.force === true,
    help,
  };
}
