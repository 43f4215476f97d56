/**
 * `POST /admin/replay`: the app replays past events to one consumer group and streams its
 * progress as NDJSON, one line per batch (`{"total":..,"delivered":..,"elapsedMs":..}`), then
 * `{"result":{..}}` or `{"error":{"code":..,"message":..}}`. A replay can run for minutes, so
 * the answer starts at once and `tandem replay --app URL` draws its progress bar from it; a
 * client that goes away stops the replay between batches.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  isTandemError,
  MalformedRequestError,
  MethodNotAllowedError,
  RouteNotFoundError,
  type AppReplayOptions,
  type Logger,
  type SyncHost,
} from '@tandem/core';

export const ADMIN_REPLAY = '/admin/replay';

function time(query: URLSearchParams, name: 'since' | 'until'): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || !Number.isFinite(at))
    throw new MalformedRequestError(`replay: ${name} must be an ISO 8601 time (2026-12-01T00:00:00Z), got '${text}'`);
  return at;
}

function positive(query: URLSearchParams, name: 'rate' | 'batch', whole: boolean): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0 && (!whole || Number.isInteger(n))))
    throw new MalformedRequestError(
      `replay: ${name} must be a positive ${whole ? 'whole number' : 'number'}, got '${text}'`,
    );
  return n;
}

/** The query as `app.replay()` options; each mistake names the parameter. */
export function replayOptionsOf(query: URLSearchParams): AppReplayOptions {
  const group = query.get('group');
  if (!group) throw new MalformedRequestError('replay: pass group=G, the consumer group to replay to');
  const types = query.getAll('type').filter((t) => t !== '');
  if (types.length === 0)
    throw new MalformedRequestError('replay: pass type=T (repeatable), the event types to replay');
  const since = time(query, 'since');
  if (since === undefined) throw new MalformedRequestError('replay: pass since=ISO, where the window starts');
  const until = time(query, 'until') ?? Date.now();
  if (until <= since)
    throw new MalformedRequestError(
      `replay: until (${new Date(until).toISOString()}) must be later than since (${new Date(since).toISOString()})`,
    );
  const dryRun = query.get('dryRun');
  if (dryRun !== null && dryRun !== 'true' && dryRun !== 'false')
    throw new MalformedRequestError(`replay: dryRun must be true or false, got '${dryRun}'`);
  const from = query.get('from');
  if (from !== null && from !== 'outbox' && from !== 'broker')
    throw new MalformedRequestError(`replay: from must be outbox or broker, got '${from}'`);
  const topics = query.getAll('topic').filter((t) => t !== '');
  const rate = positive(query, 'rate', false);
  const batch = positive(query, 'batch', true);
  return {
    group,
    types,
    since,
    until,
    dryRun: dryRun === 'true',
    ...(topics.length > 0 ? { topics } : {}),
    ...(rate !== undefined ? { ratePerSecond: rate } : {}),
    ...(batch !== undefined ? { batchSize: batch } : {}),
    ...(from !== null ? { from } : {}),
  };
}

export async function serveReplay(
  host: SyncHost | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  log: Logger,
): Promise<void> {
  if ((req.method ?? 'GET') !== 'POST') {
    res.setHeader('allow', 'POST');
    throw new MethodNotAllowedError(`${ADMIN_REPLAY} takes POST`);
  }
  const run = host?.replay;
  if (!run) throw new RouteNotFoundError(`this app cannot replay (not started)`);
  const options = replayOptionsOf(query);
  // The request has no body; reading it to its end lets node:http count the request as complete.
  req.resume();
  const stopped = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) stopped.abort(new Error('the client went away'));
  });
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  const line = (value: unknown) => res.write(JSON.stringify(value) + '\n');
  try {
    const result = await run({
      ...options,
      signal: stopped.signal,
      onProgress: ({ total, delivered, elapsedMs }) => line({ total, delivered, elapsedMs }),
    });
    line({ result });
  } catch (error) {
    if (stopped.signal.aborted) return void res.destroy();
    // As in problem answers, an error that is not a Tandem one says nothing of its internals.
    if (!isTandemError(error)) log.error({ err: error, group: options.group }, 'admin replay failed');
    line({
      error: isTandemError(error)
        ? { code: error.code, message: error.message }
        : { code: 'TANDEM_INTERNAL', message: "the replay failed; see the app's log" },
    });
  }
  res.end();
}
