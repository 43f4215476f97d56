import { redactCredentials } from '../config/redact.js';

/**
 * The logging seam: a pino logger satisfies it as it is, so does the default below.
 * Calls take an object of fields first and a message second, as pino's do.
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  child(bindings: object): Logger;
}

/** How much the logger writes; `silent` writes nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Options of the console logger: level and output. */
export interface ConsoleLoggerOptions {
  level?: LogLevel;
  /** Where JSON lines go; stdout by default. */
  write?: (line: string) => void;
  bindings?: object;
}

/** How many causes deep an error is written; a cause chain can be a cycle. */
const CAUSE_DEPTH = 5;

/**
 * An error as a plain object, with its cause chain. Messages and stacks lose any URL
 * credentials: a driver's error often quotes the URL it was given, password and all.
 */
function serialise(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    const cause = depth < CAUSE_DEPTH && value.cause !== undefined ? serialise(value.cause, depth + 1) : undefined;
    return {
      type: value.name,
      message: redactCredentials(value.message),
      ...(code !== undefined ? { code } : {}),
      ...(value.stack !== undefined ? { stack: redactCredentials(value.stack) } : {}),
      ...(cause !== undefined ? { cause } : {}),
    };
  }
  if (typeof value === 'string') return redactCredentials(value);
  return value;
}

/** One JSON object per line, with `level`, `time` and `msg`, like pino's default output. */
export function createLogger(options: ConsoleLoggerOptions = {}): Logger {
  const threshold = rank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const bindings = options.bindings ?? {};
  const emit = (level: Exclude<LogLevel, 'silent'>) => (fields: object, message?: string) => {
    if (rank[level] < threshold) return;
    const record: Record<string, unknown> = { level, time: new Date().toISOString(), ...bindings };
    for (const [k, v] of Object.entries(fields)) record[k] = serialise(v);
    if (message !== undefined) record.msg = redactCredentials(message);
    write(JSON.stringify(record));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}

/** A logger that writes nothing, for tests and embedding. */
export const silentLogger: Logger = createLogger({ level: 'silent' });
