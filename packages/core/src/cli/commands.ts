import { consoleCommand, consoleOptions, consoleUsage } from './console.js';
import { contracts, contractsOptions, contractsUsage } from './contracts.js';
import { deadLetters, deadLettersOptions, deadLettersUsage } from './dead-letters.js';
import { docs, docsOptions, docsUsage } from './docs.js';
import type { CliIo } from './io.js';
import { outbox, outboxOptions, outboxUsage } from './outbox.js';
import { replayCommand, replayOptions, replayUsage } from './replay.js';
import { sagas, sagasOptions, sagasUsage } from './sagas.js';
import { storeSql, storeSqlOptions, storeSqlUsage } from './store-sql.js';

/** One `tandem` subcommand: what it prints for --help and what it accepts, so help and docs/cli.md follow one source. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** The first argument it expects (`list`, `replay`, ...), if it has actions. */
  actions: readonly string[];
  options: Readonly<Record<string, { type: 'string' | 'boolean' }>>;
  run(args: string[], io: CliIo): Promise<number>;
}

export const commands: readonly CliCommand[] = [
  {
    name: 'dead-letters',
    summary: "lists and replays a consumer group's dead letters",
    usage: deadLettersUsage,
    actions: ['list', 'replay'],
    options: deadLettersOptions,
    run: deadLetters,
  },
  {
    name: 'replay',
    summary: 'delivers past events of some types to one consumer group, with their original ids',
    usage: replayUsage,
    actions: [],
    options: replayOptions,
    run: replayCommand,
  },
  {
    name: 'outbox',
    summary: 'lists, retries and discards outbox records the broker refused',
    usage: outboxUsage,
    actions: ['list', 'retry', 'discard'],
    options: outboxOptions,
    run: outbox,
  },
  {
    name: 'sagas',
    summary: 'lists and shows saga instances, and retries a parked one',
    usage: sagasUsage,
    actions: ['list', 'show', 'retry'],
    options: sagasOptions,
    run: sagas,
  },
  {
    name: 'store-sql',
    summary: 'prints the PostgreSQL store tables as SQL for your migration tool',
    usage: storeSqlUsage,
    actions: [],
    options: storeSqlOptions,
    run: storeSql,
  },
  {
    name: 'docs',
    summary: "writes OpenAPI, AsyncAPI and the event flow from a module's exported array 'services'",
    usage: docsUsage,
    actions: [],
    options: docsOptions,
    run: docs,
  },
  {
    name: 'contracts',
    summary: "snapshots an app's contracts to a baseline, and checks the app against it for breaking changes",
    usage: contractsUsage,
    actions: ['snapshot', 'check'],
    options: contractsOptions,
    run: contracts,
  },
  {
    name: 'console',
    summary: 'serves one console page for several running apps, at http://127.0.0.1:4400/',
    usage: consoleUsage,
    actions: [],
    options: consoleOptions,
    run: consoleCommand(),
  },
];

/** Options every subcommand accepts on top of its own. */
export const helpOptions = ['--help', '-h'] as const;
