import { redactCredentials } from '../config/redact.js';
import { isTandemError } from '../errors/errors.js';
import { describeFailure } from '../runtime/run-main.js';
import { deadLetters, deadLettersUsage } from './dead-letters.js';
import { docs, docsUsage } from './docs.js';
import type { CliIo } from './io.js';
import { outbox, outboxUsage } from './outbox.js';
import { storeSql, storeSqlUsage } from './store-sql.js';

const usage = `tandem: operate a Tandem service

${deadLettersUsage}
${outboxUsage}
${storeSqlUsage}
${docsUsage}`;

/** The `tandem` command: argv without the node and script paths; returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'dead-letters':
        return await deadLetters(rest, io);
      case 'outbox':
        return await outbox(rest, io);
      case 'store-sql':
        return await storeSql(rest, io);
      case 'docs':
        return await docs(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(usage);
        return command === undefined ? 2 : 0;
      default:
        io.stderr.write(`tandem: unknown command '${command}'\n\n${usage}`);
        return 2;
    }
  } catch (error) {
    const known = isTandemError(error) || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    // A URL given with --broker or --store may be quoted back with its password.
    io.stderr.write(`tandem: ${known ? redactCredentials((error as Error).message) : describeFailure(error)}\n`);
    return known ? 2 : 1;
  }
}
