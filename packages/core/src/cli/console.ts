import { parseArgs } from 'node:util';
import { ConfigError } from '../errors/errors.js';
import type { CliIo } from './io.js';

export const consoleUsage = `Usage:
  tandem console --app URL [--app URL ...] [--port N] [--host H] [--allow-remote]

Serves one console for several apps at http://127.0.0.1:4400/: the list of apps at /, the
console page of the n-th --app at /apps/<n>/ (from 0), its API calls forwarded to that app's
/_tandem/api (consoleApi() mounted there). An app URL may carry a user and password
(http://user:pass@host:3000), sent to the app as Basic credentials and never shown.
Needs @tandem/console installed. Stops on Ctrl-C (SIGINT) or SIGTERM.
`;

export const consoleOptions = {
  app: { type: 'string', multiple: true },
  port: { type: 'string' },
  host: { type: 'string' },
  'allow-remote': { type: 'boolean' },
} as const;

// Held in a variable so the compiler does not resolve it: @tandem/console depends on core, not the reverse.
const CONSOLE_PACKAGE = '@tandem/console';

/** What the command needs of @tandem/console (its startLocalConsole). */
interface ConsoleModule {
  startLocalConsole(options: {
    apps: readonly string[];
    port?: number;
    host?: string;
    allowRemote?: boolean;
  }): Promise<{ url: string; apps: readonly string[]; close(): Promise<void> }>;
}

/** Where the command finds @tandem/console, and what ends it; tests replace both. */
export interface ConsoleCommandDeps {
  load(): Promise<unknown>;
  /** Resolves when the console should stop. Default: the first SIGINT or SIGTERM. */
  stopped(): Promise<unknown>;
}

function signalled(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const defaults: ConsoleCommandDeps = { load: () => import(CONSOLE_PACKAGE), stopped: signalled };

/** `tandem console`: one local console page over several running apps. */
export function consoleCommand(deps: ConsoleCommandDeps = defaults) {
  return async (args: string[], io: CliIo): Promise<number> => {
    const { values } = parseArgs({ args, options: consoleOptions, strict: true, allowPositionals: false });
    const apps = values.app ?? [];
    if (apps.length === 0)
      throw new ConfigError(
        'tandem console: --app URL is required (repeat it for several apps), e.g. --app http://127.0.0.1:3000',
      );
    const port = values.port === undefined ? 4400 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new ConfigError(`tandem console: --port '${values.port}' is not a port number (0 to 65535)`);
    let mod: Partial<ConsoleModule>;
    try {
      mod = (await deps.load()) as Partial<ConsoleModule>;
    } catch (cause) {
      throw new ConfigError(`tandem console needs ${CONSOLE_PACKAGE}; install it with npm install ${CONSOLE_PACKAGE}`, {
        cause,
      });
    }
    if (typeof mod.startLocalConsole !== 'function')
      throw new ConfigError(
        `tandem console: this ${CONSOLE_PACKAGE} has no startLocalConsole(); update it with npm install ${CONSOLE_PACKAGE}@latest`,
      );
    const started = await mod.startLocalConsole({
      apps,
      port,
      ...(values.host !== undefined ? { host: values.host } : {}),
      allowRemote: values['allow-remote'] === true,
    });
    io.stdout.write(`tandem console: listening on ${started.url}\n`);
    started.apps.forEach((app, n) => io.stdout.write(`  ${started.url}apps/${n}/  ${app}\n`));
    if (values['allow-remote'])
      io.stderr.write(
        'tandem console: --allow-remote: whoever reaches this port uses the apps’ consoles (replay included) as this machine\n',
      );
    await deps.stopped();
    await started.close();
    io.stdout.write('tandem console: stopped\n');
    return 0;
  };
}
