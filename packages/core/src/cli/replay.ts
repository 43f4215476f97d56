import { parseArgs } from 'node:util';
import { ConfigError } from '../errors/errors.js';
import type { ReplayProgress, ReplayResult } from '../replay/replay.js';
import { appReplaySource } from './app-replay-client.js';
import { formatDuration } from './durations.js';
import type { CliIo } from './io.js';
import { replayOptions, replayRequestOf, type ReplayRequest } from './replay-options.js';
import { progressReporter } from './replay-progress.js';
import { urlReplaySource, type ReplaySource } from './replay-source.js';

export { replayOptions };

export const replayUsage = `Usage:
  tandem replay --group G --type T [--type T ...] --since TIME [--until TIME]
                [--topic T ...] [--rate N] [--batch N] [--dry-run] [--from outbox|broker]
                [--broker URL] [--store URL] | [--app URL]

Delivers past events of the given types, published in [--since, --until), to one consumer
group only, with their original ids (the group's inbox skips what it already handled).
TIME is ISO 8601 (2026-12-01T00:00:00Z) or a duration back from now (90m, 2h, 7d);
--until defaults to now. --rate bounds events per second, --batch events per round trip.
--dry-run counts what would be replayed. Ctrl-C stops between batches.

Kafka is its own history (--broker kafka://..); on RabbitMQ the producer's outbox is
(--store postgres://..), and --from outbox reads the outbox on Kafka too. The broker comes
from --broker or TANDEM_BROKER_URL, the store from --store or TANDEM_STORE_URL. --app
http://host:port lets a running app replay through its admin route
(httpServer({ admin: { replay: true } })): the only way for the in-process broker (memory://).

Exit codes: 0 replayed (or counted); 1 stopped by Ctrl-C, or an unexpected failure; 2 a bad
option, a missing broker or store, a group that never subscribed, a broker or store error.
`;

/** `tandem replay`: past events to one consumer group, with a progress bar, a dry run and a rate limit. */
export async function replayCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: replayOptions, strict: true, allowPositionals: true });
  if (positionals.length > 0) throw new ConfigError(`tandem replay: unexpected argument '${positionals[0]}'`);
  const request = replayRequestOf(values, Date.now());
  if (values.app !== undefined && (values.broker !== undefined || values.store !== undefined))
    throw new ConfigError('tandem replay: pass --app URL (the app replays) or --broker/--store URLs, not both');
  const source =
    values.app !== undefined ? appReplaySource(values.app) : await urlReplaySource(request, values, io.env);
  const interrupted = new AbortController();
  // Once: a second Ctrl-C ends the process the usual way, for a broker call that hangs.
  const interrupt = () => interrupted.abort(new ConfigError('tandem replay: stopped by Ctrl-C'));
  process.once('SIGINT', interrupt);
  try {
    return await runReplay(source, request, io, interrupted.signal);
  } finally {
    process.off('SIGINT', interrupt);
    await source.close();
  }
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : formatDuration(ms);
}

/** Runs the replay with progress on stderr and the outcome on stdout; `interrupted` is Ctrl-C. */
export async function runReplay(
  source: ReplaySource,
  request: ReplayRequest,
  io: CliIo,
  interrupted: AbortSignal,
): Promise<number> {
  const reporter = progressReporter(io.stderr, { tty: (io.stderr as { isTTY?: boolean }).isTTY === true });
  const started = Date.now();
  let last: ReplayProgress | undefined;
  let result: ReplayResult;
  try {
    result = await source.replay(
      request,
      (progress) => {
        last = progress;
        reporter.update(progress);
      },
      interrupted,
    );
  } catch (error) {
    reporter.end();
    if (!interrupted.aborted) throw error;
    io.stdout.write(
      `stopped by Ctrl-C: replayed ${last?.delivered ?? 0} of ${last?.total ?? '?'} events to group ${request.group} ` +
        `in ${seconds(Date.now() - started)}; what was delivered stays delivered, and running the same command again ` +
        `is harmless (the events keep their ids, so the group's inbox skips those it handled)\n`,
    );
    return 1;
  }
  reporter.end();
  const window = `${new Date(request.since).toISOString()} .. ${new Date(request.until).toISOString()}`;
  const oldest = result.oldestAvailable === undefined ? NaN : Date.parse(result.oldestAvailable);
  if (oldest > request.since) io.stderr.write(retentionWarning(result, request.since));
  if (result.dryRun) {
    io.stdout.write(
      `would replay ${result.matched} events of ${request.types.join(', ')} to group ${request.group} from ${result.history} (${window})\n`,
    );
    return 0;
  }
  io.stdout.write(
    `replayed ${result.delivered} of ${result.matched} events to group ${request.group} in ${seconds(Date.now() - started)}\n`,
  );
  return 0;
}

/** The window reaches back before the oldest event the history still holds. */
function retentionWarning(result: ReplayResult, since: number): string {
  const setting = result.history.startsWith('kafka')
    ? "the topic's retention.ms"
    : "the producer store's retention.outboxMs (or ?outboxRetention=7d on its URL)";
  return (
    `warning: ${result.history} holds events from ${result.oldestAvailable} on, later than --since ` +
    `(${new Date(since).toISOString()}): whatever was published before that was removed by retention and is not replayed; ` +
    `to reach further back next time, keep events longer with ${setting}\n`
  );
}
