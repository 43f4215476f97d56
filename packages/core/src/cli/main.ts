import { redactCredentials } from '../config/redact.js';
import { isTandemError } from '../errors/errors.js';
import { describeFailure } from '../runtime/run-main.js';
import { commands, helpOptions, type CliCommand } from './commands.js';
import type { CliIo } from './io.js';

const width = Math.max(...commands.map((c) => c.name.length));
const usage = `tandem: operate a Tandem service

Usage:
  tandem <command> [options]
  tandem <command> --help     the command's usage (also: tandem help <command>)

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

${commands.map((c) => c.usage).join('\n')}`;

/** The `tandem` command: argv without the node and script paths; returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] !== undefined) return help(rest[0], io);
    io.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`tandem: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  if (rest.some((arg) => (helpOptions as readonly string[]).includes(arg))) {
    io.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return failed(command, error, io);
  }
}

function help(name: string, io: CliIo): number {
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(
      `tandem help: unknown command '${name}'; the commands are ${commands.map((c) => c.name).join(', ')}\n`,
    );
    return 2;
  }
  io.stdout.write(command.usage);
  return 0;
}

function failed(command: CliCommand, error: unknown, io: CliIo): number {
  const code = (error as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    // Name the option and point at the list of valid ones, rather than Node's bare "Unknown option".
    const option = /'([^']+)'/.exec((error as Error).message)?.[1] ?? '';
    io.stderr.write(
      `tandem ${command.name}: unknown option '${redactCredentials(option)}'; see 'tandem ${command.name} --help' for its options\n`,
    );
    return 2;
  }
  const known = isTandemError(error) || code?.startsWith('ERR_PARSE_ARGS');
  // A URL given with --broker or --store may be quoted back with its password.
  io.stderr.write(`tandem: ${known ? redactCredentials((error as Error).message) : describeFailure(error)}\n`);
  if (code?.startsWith('ERR_PARSE_ARGS')) io.stderr.write(`see 'tandem ${command.name} --help'\n`);
  return known ? 2 : 1;
}
