import { redactCredentials } from '../config/redact.js';
import { isTandemError } from '../errors/errors.js';

/** Where runMain writes a failure and how it ends the process; tests replace both. */
export interface RunMainOptions {
  /** Where a failure is written. Default process.stderr. */
  write?: (text: string) => void;
  /** Ends the process. Default process.exit. */
  exit?: (code: number) => void;
}

/**
 * Runs a program's start-up and turns its failure into one line and exit code 1. A
 * TandemError (a setting that is wrong, a broker or database that is not there) is the
 * operator's to fix, so it is printed as `CODE: message` without a stack; anything else is a
 * bug and keeps its stack. Credentials in either are redacted. A number the program resolves
 * with becomes the process's exit code (a CLI's status); otherwise the process keeps running
 * for whatever the program started.
 */
export async function runMain(main: () => unknown, options: RunMainOptions = {}): Promise<void> {
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  try {
    const result = await main();
    if (typeof result === 'number') process.exitCode = result;
  } catch (error) {
    write(describeFailure(error) + '\n');
    // Exit now: a half-started app may hold sockets and timers (a reconnecting broker) that
    // would keep the process alive with nothing to serve.
    exit(1);
  }
}

/** One line for a TandemError; the stack for anything else. */
export function describeFailure(error: unknown): string {
  if (isTandemError(error)) return redactCredentials(`${error.code}: ${error.message}`.replace(/\s*\n\s*/g, ' '));
  if (error instanceof Error) return redactCredentials(error.stack ?? `${error.name}: ${error.message}`);
  return redactCredentials(`non-error thrown: ${String(error)}`);
}
