/**
 * A mistake in how the generator was called: a bad flag, name or target directory. The
 * message names the flag (or argument) and the fix; the CLI prints it as one line and
 * exits 2, the usual status for a usage error.
 */
export class UsageError extends Error {
  readonly code = 'CREATE_TANDEM_USAGE';

  constructor(
    /** The flag or argument at fault, e.g. `--broker` or `<directory>`. */
    readonly flag: string,
    message: string,
  ) {
    super(`${flag}: ${message}`);
    this.name = 'UsageError';
  }
}
