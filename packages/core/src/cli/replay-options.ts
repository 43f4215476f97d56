/**
 * `tandem replay`'s options as typed, checked values: each mistake is a ConfigError naming
 * the option and what it expects.
 */
import { ConfigError } from '../errors/errors.js';
import { parseDuration } from './durations.js';

export const replayOptions = {
  group: { type: 'string' },
  type: { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
  topic: { type: 'string', multiple: true },
  rate: { type: 'string' },
  batch: { type: 'string' },
  'dry-run': { type: 'boolean' },
  from: { type: 'string' },
  broker: { type: 'string' },
  store: { type: 'string' },
  app: { type: 'string' },
} as const;

/** What to replay, as the command and the admin route both take it. */
export interface ReplayRequest {
  group: string;
  types: string[];
  /** Absent: the app finds them from its contracts (`--app`), else each type. */
  topics?: string[];
  since: number;
  until: number;
  ratePerSecond?: number;
  batchSize?: number;
  dryRun: boolean;
  from?: 'outbox' | 'broker';
}

/** The flags `parseArgs` read. */
export interface ReplayFlags {
  group?: string | undefined;
  type?: string[] | undefined;
  since?: string | undefined;
  until?: string | undefined;
  topic?: string[] | undefined;
  rate?: string | undefined;
  batch?: string | undefined;
  'dry-run'?: boolean | undefined;
  from?: string | undefined;
}

/**
 * A time as an operator types it: ISO 8601 (`2026-12-01T00:00:00Z`) or a duration back from
 * `now` (`90m`, `2h`, `7d`).
 */
export function parseReplayTime(text: string, option: string, now: number): number {
  if (/^\d+(ms|s|m|h|d)/.test(text)) return now - parseDuration(text, option);
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(at))
    throw new ConfigError(
      `${option}: expected an ISO 8601 time (2026-12-01T00:00:00Z) or a duration back from now (90m, 2h, 7d), got '${text}'`,
    );
  return at;
}

function positive(text: string | undefined, option: string, whole: boolean): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0 && (!whole || Number.isInteger(n))))
    throw new ConfigError(
      `${option}: expected a positive ${whole ? 'whole number' : 'number'}${option === '--rate' ? ' of events per second' : ''}, got '${text}'`,
    );
  return n;
}

/** The parsed flags as a replay request; `now` is when the command started. */
export function replayRequestOf(values: ReplayFlags, now: number): ReplayRequest {
  if (!values.group)
    throw new ConfigError(
      'tandem replay: --group is required (the consumer group to replay to, e.g. --group analytics)',
    );
  if (!values.type?.length)
    throw new ConfigError(
      'tandem replay: --type is required (the event type to replay, repeatable: --type orders.placed)',
    );
  if (values.since === undefined)
    throw new ConfigError(
      'tandem replay: --since is required (an ISO 8601 time, or a duration back from now such as 2h or 7d)',
    );
  const since = parseReplayTime(values.since, '--since', now);
  const until = values.until === undefined ? now : parseReplayTime(values.until, '--until', now);
  if (until <= since)
    throw new ConfigError(
      `tandem replay: --until (${new Date(until).toISOString()}) must be later than --since (${new Date(since).toISOString()})`,
    );
  if (values.from !== undefined && values.from !== 'outbox' && values.from !== 'broker')
    throw new ConfigError(`--from: expected 'outbox' or 'broker', got '${values.from}'`);
  const rate = positive(values.rate, '--rate', false);
  const batch = positive(values.batch, '--batch', true);
  return {
    group: values.group,
    types: values.type,
    ...(values.topic?.length ? { topics: values.topic } : {}),
    since,
    until,
    ...(rate !== undefined ? { ratePerSecond: rate } : {}),
    ...(batch !== undefined ? { batchSize: batch } : {}),
    dryRun: values['dry-run'] === true,
    ...(values.from !== undefined ? { from: values.from } : {}),
  };
}
