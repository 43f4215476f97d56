/**
 * Replay: reads past events of some types in a time window from a history and delivers
 * them to one consumer group, in order per key, at a bounded rate. Events keep their ids,
 * so a group with an inbox skips what it already handled: replaying a window twice, or a
 * window the group partly saw, handles each event once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../errors/errors.js';
import type { EventHistory, GroupDelivery, HistoryQuery } from './history.js';

/** What to replay, to which group, and how fast. */
export interface ReplayOptions extends HistoryQuery {
  group: string;
  /** Most events delivered per second; unlimited when absent. */
  ratePerSecond?: number;
  /** Count what would be replayed and deliver nothing. */
  dryRun?: boolean;
  /** Events read and delivered per broker round trip. Default 200 (fewer with a low rate). */
  batchSize?: number;
  /** Called once with the total before the first delivery, and after each batch. */
  onProgress?(progress: ReplayProgress): void;
  /** Stops between batches; what was delivered stays delivered. */
  signal?: AbortSignal;
}

/** How far a replay got. */
export interface ReplayProgress {
  /** Events the history matched when the replay began. */
  total: number;
  delivered: number;
  elapsedMs: number;
}

/** What a replay did: `matched` events found, `delivered` of them sent to the group. */
export interface ReplayResult {
  group: string;
  /** What the events were read from (the history's name): `the outbox table`, `the in-process outbox`. */
  history: string;
  matched: number;
  delivered: number;
  dryRun: boolean;
  /** The oldest event the history still held, when it can tell: a window older than this was cut by retention. */
  oldestAvailable?: string;
}

/** Checks the options a person typed; each mistake names the option and the fix. */
export function checkReplayOptions(options: ReplayOptions): void {
  if (!options.group) throw new ConfigError('replay: name the consumer group to replay to (--group)');
  if (options.types.length === 0) throw new ConfigError('replay: name at least one event type (--type orders.placed)');
  if (!Number.isFinite(options.since)) throw new ConfigError('replay: --since is not a time');
  if (!Number.isFinite(options.until)) throw new ConfigError('replay: --until is not a time');
  if (options.until <= options.since)
    throw new ConfigError(
      `replay: --until (${new Date(options.until).toISOString()}) must be later than --since (${new Date(options.since).toISOString()})`,
    );
  const rate = options.ratePerSecond;
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0))
    throw new ConfigError(`replay: --rate must be a positive number of events per second, got ${rate}`);
  const batch = options.batchSize;
  if (batch !== undefined && !(Number.isInteger(batch) && batch > 0))
    throw new ConfigError(`replay: --batch must be a positive whole number, got ${batch}`);
}

/** Replays past events from `history` to `options.group` through `delivery`. */
export async function replay(
  history: EventHistory,
  delivery: GroupDelivery,
  options: ReplayOptions,
): Promise<ReplayResult> {
  checkReplayOptions(options);
  const query: HistoryQuery = {
    types: options.types,
    topics: options.topics,
    since: options.since,
    until: options.until,
  };
  const [total, oldest] = await Promise.all([history.count(query), history.oldest?.(query)]);
  const result: ReplayResult = {
    group: options.group,
    history: history.name,
    matched: total,
    delivered: 0,
    dryRun: options.dryRun === true,
    ...(oldest !== undefined ? { oldestAvailable: new Date(oldest).toISOString() } : {}),
  };
  if (options.dryRun || total === 0) return result;

  const rate = options.ratePerSecond;
  // A batch is at most a tenth of a second's worth at the rate, so the pace is smooth.
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 200, rate ? Math.ceil(rate / 10) : Infinity));
  const started = Date.now();
  options.onProgress?.({ total, delivered: 0, elapsedMs: 0 });
  for await (const batch of history.read(query, batchSize)) {
    options.signal?.throwIfAborted();
    if (batch.length === 0) continue;
    if (rate) {
      // Not before the time at which the events already delivered were due at the rate.
      const due = started + (result.delivered / rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait, undefined, options.signal ? { signal: options.signal } : {});
    }
    await delivery.deliverTo(options.group, batch);
    result.delivered += batch.length;
    options.onProgress?.({ total, delivered: result.delivered, elapsedMs: Date.now() - started });
  }
  return result;
}
