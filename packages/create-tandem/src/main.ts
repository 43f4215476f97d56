import { relative } from 'node:path';
import { UsageError } from './errors.js';
import { generate } from './generate.js';
import { parseOptions, usage } from './options.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const stdio: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The CLI: answers the exit status (0, or 2 for a usage error). */
export async function main(argv: readonly string[], io: Io = stdio, cwd: string = process.cwd()): Promise<number> {
  try {
    const options = parseOptions(argv, cwd);
    if (options.help) {
      io.out(usage);
      return 0;
    }
    generate(options);
    const shown = relative(cwd, options.dir) || '.';
    io.out(`Wrote ${options.name} (broker ${options.broker}, store ${options.store}) in ${shown}. Next:

  cd ${shown}
  npm install
  npm test
  npm start`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`create-tandem: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
