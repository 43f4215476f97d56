import { parseArgs } from 'node:util';
import { brokerFromUrl } from '../config/from-env.js';
import { ConfigError } from '../errors/errors.js';
import type { BrokerTransport, DeadLetter, DeadLetterAccess } from '../transport/broker.js';
import { deadLetterJson } from '../transport/dead-letter.js';
import { appDeadLetters, memoryBrokerNote } from './app-dead-letters.js';
import type { CliIo } from './io.js';

export const deadLettersUsage = `Usage:
  tandem dead-letters list    --group G [--broker URL | --app URL] [--limit N] [--json]
  tandem dead-letters replay  --group G (--id ID [--id ID ...] | --all) [--broker URL | --app URL]
  tandem dead-letters discard --group G (--id ID [--id ID ...] | --all) [--broker URL]

The broker comes from --broker or TANDEM_BROKER_URL (memory://, kafka://host:9092, amqp://user:pass@host/vhost).
--app http://host:port asks a running app instead, through its admin routes
(httpServer({ admin: { deadLetters: true } })): the only way to reach the in-process
broker's (memory://) dead letters, which live inside the app's process.
discard deletes dead letters for good (on Kafka, which cannot delete a record, a marker hides
them from list and replay); it asks the broker, or use the Discard button of the app's console.
`;

export const deadLettersOptions = {
  group: { type: 'string' },
  broker: { type: 'string' },
  app: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  id: { type: 'string', multiple: true },
  all: { type: 'boolean' },
} as const;

type Action = 'list' | 'replay' | 'discard';
const ACTIONS: readonly string[] = ['list', 'replay', 'discard'] satisfies Action[];

/** `tandem dead-letters list|replay|discard`: inspects, replays and deletes a consumer group's dead letters on any Tandem transport. */
export async function deadLetters(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || !ACTIONS.includes(action)) {
    io.stderr.write(
      `tandem dead-letters: expected 'list', 'replay' or 'discard'${action ? `, got '${action}'` : ''}\n\n${deadLettersUsage}`,
    );
    return 2;
  }
  return act(action as Action, rest, io);
}

async function act(action: Action, rest: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: rest, options: deadLettersOptions, strict: true, allowPositionals: false });
  if (!values.group)
    throw new ConfigError(
      `tandem dead-letters ${action}: --group is required (the consumer group, usually the service name)`,
    );
  if (values.app !== undefined && values.broker !== undefined)
    throw new ConfigError(`tandem dead-letters ${action}: pass --broker URL or --app URL, not both`);
  if (values.app !== undefined && action === 'discard')
    throw new ConfigError(
      `tandem dead-letters discard: --app lists and replays only; discard through the broker (--broker URL) or the app's console (/_tandem/, Dead letters)`,
    );
  if (values.app !== undefined) return run(action, { ...values, group: values.group }, appDeadLetters(values.app), io);
  const url = values.broker ?? io.env.TANDEM_BROKER_URL;
  if (!url)
    throw new ConfigError(`tandem dead-letters ${action}: pass --broker URL, --app URL or set TANDEM_BROKER_URL`);
  const broker = await brokerFromUrl(url, values.broker ? '--broker' : 'TANDEM_BROKER_URL');
  try {
    await broker.connect();
    if (broker.name === 'memory') io.stderr.write(memoryBrokerNote(values.group));
    return await run(action, { ...values, group: values.group }, deadLetterAccessOf(broker), io);
  } finally {
    await broker.close();
  }
}

async function run(
  action: Action,
  values: {
    group: string;
    limit?: string | undefined;
    json?: boolean | undefined;
    id?: string[] | undefined;
    all?: boolean | undefined;
  },
  access: DeadLetterAccess,
  io: CliIo,
): Promise<number> {
  if (action === 'list') {
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
      throw new ConfigError(`--limit: expected a positive integer, got '${values.limit}'`);
    const letters = await access.list(values.group, limit !== undefined ? { limit } : {});
    io.stdout.write(
      values.json
        ? letters.map((l) => JSON.stringify(deadLetterJson(l))).join('\n') + (letters.length ? '\n' : '')
        : table(letters),
    );
    return 0;
  }
  if (values.all === (values.id !== undefined)) {
    throw new ConfigError(`tandem dead-letters ${action}: pass either --id ID (repeatable) or --all`);
  }
  const ids = values.all ? (await access.list(values.group)).map((l) => l.id) : values.id!;
  if (action === 'discard') {
    const discard = access.discard?.bind(access);
    if (!discard) throw new ConfigError('tandem dead-letters discard: this broker cannot delete a dead letter');
    const discarded = ids.length > 0 ? await discard(values.group, ids) : 0;
    io.stdout.write(`discarded ${discarded} of ${ids.length} dead letter(s) of group '${values.group}'\n`);
    return discarded === ids.length ? 0 : 1;
  }
  const replayed = ids.length > 0 ? await access.replay(values.group, ids) : 0;
  io.stdout.write(`replayed ${replayed} of ${ids.length} dead letter(s) to group '${values.group}'\n`);
  return replayed === ids.length ? 0 : 1;
}

function deadLetterAccessOf(broker: BrokerTransport): DeadLetterAccess {
  if (!broker.deadLetters)
    throw new ConfigError(`the ${broker.name} transport does not provide dead-letter access (DeadLetterAccess)`);
  return broker.deadLetters;
}

function table(letters: DeadLetter[]): string {
  if (letters.length === 0) return 'no dead letters\n';
  const rows = [
    ['ID', 'TOPIC', 'KEY', 'ATTEMPTS', 'REASON', 'DEAD-LETTERED AT', 'ERROR'],
    ...letters.map((l) => [
      l.id,
      l.message.topic,
      l.message.key ?? '',
      String(l.attempts),
      l.reason,
      l.deadLetteredAt,
      (l.error ?? '').slice(0, 80),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
