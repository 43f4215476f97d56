/**
 * `tandem replay --app URL`: the running app replays through its admin route
 * (`httpServer({ admin: { replay: true } })`), which streams its progress as NDJSON lines
 * (`{"total":..,"delivered":..,"elapsedMs":..}`, then `{"result":{..}}` or `{"error":{..}}`).
 */
import { ConfigError, errorClassesByCode } from '../errors/errors.js';
import type { ReplayProgress, ReplayResult } from '../replay/replay.js';
import type { ReplayRequest } from './replay-options.js';
import type { ReplaySource } from './replay-source.js';

/** The admin route's query for a request: what `POST /admin/replay` reads. */
export function replayQuery(request: ReplayRequest): URLSearchParams {
  const query = new URLSearchParams({ group: request.group });
  for (const type of request.types) query.append('type', type);
  query.set('since', new Date(request.since).toISOString());
  query.set('until', new Date(request.until).toISOString());
  for (const topic of request.topics ?? []) query.append('topic', topic);
  if (request.ratePerSecond !== undefined) query.set('rate', String(request.ratePerSecond));
  if (request.batchSize !== undefined) query.set('batch', String(request.batchSize));
  if (request.dryRun) query.set('dryRun', 'true');
  if (request.from !== undefined) query.set('from', request.from);
  return query;
}

type Line = ReplayProgress | { result: ReplayResult } | { error: { code: string; message: string } };

function rebuilt(error: { code: string; message: string }): Error {
  const Class = errorClassesByCode.get(error.code) ?? ConfigError;
  return new Class(`the app answered: ${error.message}`);
}

export function appReplaySource(base: string): ReplaySource {
  let root: URL;
  try {
    root = new URL(base.endsWith('/') ? base : base + '/');
  } catch {
    throw new ConfigError(`--app: '${base}' is not a URL; give the app's HTTP address, e.g. http://127.0.0.1:3000`);
  }
  return {
    async replay(request, onProgress, signal) {
      const url = new URL(`admin/replay?${replayQuery(request)}`, root);
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', signal });
      } catch (cause) {
        if (signal.aborted) throw cause;
        throw new ConfigError(
          `--app: ${url.origin} did not answer (${(cause as Error).message}); is the app running?`,
          {
            cause,
          },
        );
      }
      if (res.status === 404)
        throw new ConfigError(
          `--app: ${url.origin} serves no replay route; start its server with httpServer({ admin: { replay: true } })`,
        );
      if (!res.ok || !res.body) {
        const problem = (await res.json().catch(() => undefined)) as { detail?: string } | undefined;
        throw new ConfigError(`--app: ${url.origin} answered ${res.status}: ${problem?.detail ?? res.statusText}`);
      }
      for await (const line of lines(res.body)) {
        const parsed = JSON.parse(line) as Line;
        if ('result' in parsed) return parsed.result;
        if ('error' in parsed) throw rebuilt(parsed.error);
        onProgress(parsed);
      }
      throw new ConfigError(`--app: ${url.origin} ended the replay's answer without a result; see the app's log`);
    },
    close: async () => undefined,
  };
}

/** The body's lines, as they arrive. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (line) yield line;
    }
  }
  if (pending.trim()) yield pending.trim();
}
