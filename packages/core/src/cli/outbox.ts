import { parseArgs } from 'node:util';
import { storeFromUrl } from '../config/from-env.js';
import { ConfigError } from '../errors/errors.js';
import { outboxAdminOf, type OutboxAdmin, type RefusedOutboxRecord, type Store } from '../stores/store.js';
import type { CliIo } from './io.js';
import { formatTable } from './table.js';

export const outboxUsage = `Usage:
  tandem outbox list    [--parked] [--limit N] [--json] [--store URL]
  tandem outbox retry   (SEQ [SEQ ...] | --all) [--store URL]
  tandem outbox discard SEQ [SEQ ...] [--store URL]

Outbox records the broker refused: still retried by the relay, or parked after too many
refusals. A refused or parked record holds back the later records of its key. 'retry'
makes records new again, so the relay sends them at once, ahead of their key's later
records ('--all': every refused record); 'discard' deletes them for good, which lets their
key's later records go. The store comes from --store or TANDEM_STORE_URL
(postgres://user:pass@host:5432/db?schema=S, or pglite://DIR while no service has it open).
`;

export const outboxOptions = {
  store: { type: 'string' },
  parked: { type: 'boolean' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
} as const;

/** `tandem outbox list|retry|discard`: refused and parked outbox records of a SQL store. */
export async function outbox(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'list' && action !== 'retry' && action !== 'discard') {
    io.stderr.write(
      `tandem outbox: expected 'list', 'retry' or 'discard'${action ? `, got '${action}'` : ''}\n\n${outboxUsage}`,
    );
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: outboxOptions,
    strict: true,
    allowPositionals: true,
  });
  if (action === 'list' && positionals.length > 0)
    throw new ConfigError(`tandem outbox list: unexpected argument '${positionals[0]}'`);
  if (action === 'retry' && Boolean(values.all) === positionals.length > 0)
    throw new ConfigError('tandem outbox retry: pass either sequence numbers (see tandem outbox list) or --all');
  if (action === 'discard' && positionals.length === 0)
    throw new ConfigError('tandem outbox discard: pass the sequence numbers to delete (see tandem outbox list)');
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new ConfigError(`--limit: expected a positive integer, got '${values.limit}'`);

  const { store, admin } = await openStore(values.store ?? io.env.TANDEM_STORE_URL, values.store !== undefined);
  try {
    if (action === 'list') {
      const [records, counts] = await Promise.all([
        admin.refused({ ...(values.parked ? { parkedOnly: true } : {}), ...(limit !== undefined ? { limit } : {}) }),
        admin.counts(),
      ]);
      if (values.json) {
        io.stdout.write(records.map((r) => JSON.stringify(toJson(r)) + '\n').join(''));
      } else {
        io.stdout.write(`${counts.waiting} outbox record(s) waiting, ${counts.parked} parked\n`);
        io.stdout.write(table(records, values.parked === true));
      }
      return 0;
    }
    if (action === 'retry') {
      const changed = await admin.retry(values.all ? 'all' : positionals);
      io.stdout.write(`${changed} outbox record(s) made new again; the relay sends them next\n`);
      return 0;
    }
    const removed = await admin.discard(positionals);
    io.stdout.write(`discarded ${removed} of ${positionals.length} outbox record(s)\n`);
    return 0;
  } finally {
    await store.close?.();
  }
}

async function openStore(url: string | undefined, fromFlag: boolean): Promise<{ store: Store; admin: OutboxAdmin }> {
  if (!url) throw new ConfigError('tandem outbox: pass --store URL or set TANDEM_STORE_URL');
  const store = await storeFromUrl(url, fromFlag ? '--store' : 'TANDEM_STORE_URL');
  const admin = outboxAdminOf(store?.outbox);
  if (!store || !admin) {
    throw new ConfigError(
      `tandem outbox: ${new URL(url).protocol}// has no outbox this command can reach (memory:// keeps it inside the service's process, Redis has none); pass a postgres:// or pglite:// URL`,
    );
  }
  await store.connect?.();
  return { store, admin };
}

function toJson(record: RefusedOutboxRecord): Record<string, unknown> {
  return {
    seq: record.seq,
    topic: record.message.topic,
    key: record.message.key,
    attempts: record.attempts,
    lastError: record.lastError,
    createdAt: record.createdAt,
    parkedAt: record.parkedAt,
    nextAttemptAt: record.nextAttemptAt,
    headers: record.message.headers,
    body: new TextDecoder().decode(record.message.body),
  };
}

function table(records: RefusedOutboxRecord[], parkedOnly: boolean): string {
  if (records.length === 0) return parkedOnly ? 'no parked records\n' : 'no refused records\n';
  return formatTable([
    ['SEQ', 'TOPIC', 'KEY', 'ATTEMPTS', 'STATE', 'CREATED AT', 'LAST ERROR'],
    ...records.map((r) => [
      r.seq,
      r.message.topic,
      r.message.key ?? '',
      String(r.attempts),
      r.parkedAt !== undefined ? `parked ${r.parkedAt}` : `retry at ${r.nextAttemptAt ?? 'once due'}`,
      r.createdAt,
      r.lastError.slice(0, 80),
    ]),
  ]);
}
