import { parseArgs } from 'node:util';
import { storeFromUrl } from '../config/from-env.js';
import { ConfigError, ConflictError, NotFoundError } from '../errors/errors.js';
import { retryParkedSaga } from '../sagas/operator.js';
import { endedSagaStatuses, type SagaQuery, type SagaStatus, type SagaStore } from '../sagas/saga-store.js';
import type { Store } from '../stores/store.js';
import { parseDuration } from './durations.js';
import type { CliIo } from './io.js';
import { countsTable, instanceJson, instanceReport, instanceSummaryJson, instanceTable } from './saga-views.js';

export const sagasUsage = `Usage:
  tandem sagas list  [--saga NAME] [--status STATUS] [--stuck-for DURATION] [--limit N] [--json] [--store URL]
  tandem sagas show  SAGA ID [--json] [--store URL]
  tandem sagas retry SAGA ID [--store URL]

Saga instances in the store. 'list' counts instances per saga and status, then prints the
latest changed (STATUS: running, compensating, completed, compensated or parked);
'--stuck-for 10m' lists only instances not ended and unchanged for that long. 'show' prints
one instance: state, pending commands and timeouts, queued compensations, history. 'retry'
sends a parked instance back to compensating: the compensation that failed runs again, then
the rest; a running app with the saga carries it out. The store comes from --store or
TANDEM_STORE_URL (postgres://user:pass@host:5432/db?schema=S, or pglite://DIR while no
service has it open).
`;

export const sagasOptions = {
  store: { type: 'string' },
  saga: { type: 'string' },
  status: { type: 'string' },
  'stuck-for': { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const STATUSES: readonly SagaStatus[] = ['running', 'compensating', 'completed', 'compensated', 'parked'];

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof sagasOptions }>>['values'];

/** `tandem sagas list|show|retry`: saga instances of a SQL store, and the operator's way out of a parked one. */
export async function sagas(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'list' && action !== 'show' && action !== 'retry') {
    io.stderr.write(
      `tandem sagas: expected 'list', 'show' or 'retry'${action ? `, got '${action}'` : ''}\n\n${sagasUsage}`,
    );
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: sagasOptions,
    strict: true,
    allowPositionals: true,
  });
  const query = action === 'list' ? listQuery(values, positionals) : undefined;
  if (action !== 'list') {
    if (positionals.length !== 2)
      throw new ConfigError(
        `tandem sagas ${action}: pass the saga's name and the instance's id (see tandem sagas list)`,
      );
    const listOnly = (['saga', 'status', 'stuck-for', 'limit'] as const).find((o) => values[o] !== undefined);
    if (listOnly) throw new ConfigError(`tandem sagas ${action}: --${listOnly} is an option of 'tandem sagas list'`);
    if (action === 'retry' && values.json)
      throw new ConfigError(`tandem sagas retry: --json is an option of list and show`);
  }

  const { store, sagaStore } = await openStore(values.store ?? io.env.TANDEM_STORE_URL, values.store !== undefined);
  try {
    const now = Date.now();
    if (query) {
      const [instances, counts] = await Promise.all([sagaStore.list(query), sagaStore.counts()]);
      if (values.json) {
        io.stdout.write(instances.map((i) => JSON.stringify(instanceSummaryJson(i)) + '\n').join(''));
      } else {
        io.stdout.write(countsTable(query.saga ? counts.filter((c) => c.saga === query.saga) : counts, now));
        io.stdout.write('\n' + instanceTable(instances, now));
      }
      return 0;
    }
    const [saga, id] = positionals as [string, string];
    if (action === 'show') {
      const instance = await sagaStore.get(saga, id);
      if (!instance) {
        io.stderr.write(
          `tandem sagas show: saga '${saga}' has no instance '${id}' (see tandem sagas list --saga ${saga})\n`,
        );
        return 1;
      }
      io.stdout.write(
        values.json ? JSON.stringify(instanceJson(instance), null, 2) + '\n' : instanceReport(instance, now),
      );
      return 0;
    }
    return await retry(store, saga, id, io);
  } finally {
    await store.close?.();
  }
}

function listQuery(values: Values, positionals: string[]): SagaQuery {
  if (positionals.length > 0) throw new ConfigError(`tandem sagas list: unexpected argument '${positionals[0]}'`);
  const status = values.status as SagaStatus | undefined;
  if (status !== undefined && !STATUSES.includes(status))
    throw new ConfigError(`--status: expected one of ${STATUSES.join(', ')}, got '${values.status}'`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new ConfigError(`--limit: expected a positive integer, got '${values.limit}'`);
  const query: SagaQuery = {
    ...(values.saga !== undefined ? { saga: values.saga } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
  if (values['stuck-for'] === undefined) return query;
  const stuckFor = parseDuration(values['stuck-for'], '--stuck-for');
  if (status !== undefined && endedSagaStatuses.includes(status))
    throw new ConfigError(`--stuck-for lists instances that have not ended; --status ${status} is an end`);
  const open = STATUSES.filter((s) => !endedSagaStatuses.includes(s));
  return { ...query, status: status ?? open, updatedBefore: Date.now() - stuckFor };
}

async function retry(store: Store, saga: string, id: string, io: CliIo): Promise<number> {
  try {
    const instance = await retryParkedSaga(store, saga, id);
    const sent = Object.values(instance.data.pending).filter((p) => p.compensation);
    io.stdout.write(
      `saga '${saga}' instance '${id}' is ${instance.status}` +
        (sent.length > 0 ? `; compensation ${sent.map((p) => p.command).join(', ')} is in the outbox` : '') +
        (instance.status === 'compensating' ? '; an app running the saga carries it on' : '') +
        '\n',
    );
    return 0;
  } catch (error) {
    // Nothing to retry is an answer about the instance, not a mistake in the command line.
    if (error instanceof NotFoundError || error instanceof ConflictError) {
      io.stderr.write(`tandem sagas retry: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function openStore(url: string | undefined, fromFlag: boolean): Promise<{ store: Store; sagaStore: SagaStore }> {
  if (!url) throw new ConfigError('tandem sagas: pass --store URL or set TANDEM_STORE_URL');
  const store = await storeFromUrl(url, fromFlag ? '--store' : 'TANDEM_STORE_URL');
  if (!store?.sagas) {
    await store?.close?.();
    throw new ConfigError(
      `tandem sagas: ${new URL(url).protocol}// has no saga instances this command can reach (memory:// keeps them inside the service's process, Redis has none); pass a postgres:// or pglite:// URL`,
    );
  }
  await store.connect?.();
  return { store, sagaStore: store.sagas };
}
