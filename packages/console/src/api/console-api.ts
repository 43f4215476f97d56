import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  MethodNotAllowedError,
  NotFoundError,
  RouteNotFoundError,
  UnavailableError,
  outboxAdminOf,
  type App,
  type Logger,
  type SyncHost,
} from '@tandem/core';
import { changeDeadLetters, listDeadLetters } from './dead-letters.js';
import { CSRF_HEADER, Guard } from './guard.js';
import { History } from './history.js';
import { LiveStreams } from './live.js';
import { groupsOf, modelJson } from './model.js';
import { resolveConsoleOptions, type ConsoleApiOptions, type ResolvedConsoleOptions } from './options.js';
import { getSaga, listSagas, retrySaga } from './sagas.js';
import { breakersJson, lagJson, outboxJson } from './state.js';
import { Watch } from './watch.js';

/** What a server hands a mounted route (the shape of @tandem/transport-http's MountRequest). */
export interface ConsoleRequest {
  readonly host: SyncHost | undefined;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly log: Logger;
}

/** The console's admin API, to mount on the app's server: `httpServer({ mounts: [consoleApi()] })`. */
export interface ConsoleApi {
  readonly prefix: string;
  /** Whether it serves anything (see ConsoleApiOptions.enabled). */
  readonly enabled: boolean;
  handle(req: IncomingMessage, res: ServerResponse, request: ConsoleRequest): Promise<void>;
  /** Ends the live streams and stops the statistics; the server calls it when it drains. */
  close(): void;
}

/** The routes, for `GET /` and for error messages. */
const ROUTES = [
  'GET csrf',
  'GET model',
  'GET stats',
  'GET lag',
  'GET history',
  'GET dead-letters',
  'POST dead-letters/replay',
  'POST dead-letters/discard',
  'GET breakers',
  'GET outbox',
  'GET sagas',
  'GET sagas/instance',
  'POST sagas/retry',
  'GET traces',
  'GET traces/:traceId',
  'GET live (text/event-stream)',
];

/**
 * The console's admin API: JSON under `/_tandem/api` on the app's own HTTP server, with
 * the app's model, live statistics, lag and outbox history, dead letters (replay, discard),
 * breakers, outbox, saga instances (retry), recent traces and a live activity stream. See docs/console.md for routes and safety.
 */
export function consoleApi(options: ConsoleApiOptions = {}): ConsoleApi {
  const resolved = resolveConsoleOptions(options);
  const guard = new Guard(resolved);
  const live = new LiveStreams(resolved);
  let watch: { app: App; watch: Watch } | undefined;
  const watchOf = (app: App): Watch => {
    if (watch?.app !== app) {
      watch?.watch.stop();
      watch = { app, watch: new Watch(app.activity, resolved.stats, resolved.idleMs) };
    }
    return watch.watch;
  };
  let history: { app: App; history: History } | undefined;
  const historyOf = (app: App): History => {
    if (history?.app !== app) {
      history?.history.stop();
      history = { app, history: historyFor(app, resolved) };
    }
    return history.history;
  };

  async function handle(req: IncomingMessage, res: ServerResponse, request: ConsoleRequest): Promise<void> {
    const route = request.path.replace(/^\/|\/$/g, '');
    if (!resolved.enabled) throw new RouteNotFoundError(`no route at ${resolved.prefix}/${route}`);
    await guard.admit(req);
    const method = req.method ?? 'GET';
    const host = request.host;
    const app = host?.app;
    if (!host || !app) throw new UnavailableError('the console API answers once the app has started');
    const write = method === 'POST';
    if (!write && method !== 'GET' && method !== 'HEAD')
      throw new MethodNotAllowedError(`the console API takes GET, and POST for state changes`);
    if (write) guard.checkChange(req);
    const query = request.query;
    if (!write) {
      if (route === '') return json(res, 200, { routes: ROUTES, csrfHeader: CSRF_HEADER });
      if (route === 'csrf') return json(res, 200, { token: guard.csrfToken(), header: CSRF_HEADER });
      if (route === 'model') return json(res, 200, modelJson(app, host));
      if (route === 'stats') {
        const seen = watchOf(app).look();
        return json(res, 200, {
          windowMs: resolved.stats.windowMs ?? 60_000,
          watchedForMs: seen.watchedForMs,
          handlers: seen.stats,
          edges: seen.edges,
        });
      }
      if (route === 'lag') return json(res, 200, await lagJson(app));
      if (route === 'history') return json(res, 200, historyOf(app).look());
      if (route === 'sagas') return json(res, 200, await listSagas(app.store, query));
      if (route === 'sagas/instance') return json(res, 200, await getSaga(app.store, query));
      if (route === 'dead-letters') return json(res, 200, await listDeadLetters(deadLettersOf(host, app), query));
      if (route === 'breakers') return json(res, 200, await breakersJson(host));
      if (route === 'outbox') return json(res, 200, await outboxJson(app, query));
      if (route === 'traces') {
        const limit = Math.min(500, Math.max(1, Number(query.get('limit') ?? 50) || 50));
        return json(res, 200, { recording: resolved.spans !== undefined, traces: resolved.spans?.traces(limit) ?? [] });
      }
      if (route.startsWith('traces/')) {
        const id = route.slice('traces/'.length);
        const spans = resolved.spans?.trace(id);
        if (!spans) throw new NotFoundError(`no trace ${id.slice(0, 64)} in the span ring (it keeps the latest only)`);
        return json(res, 200, { traceId: id, spans });
      }
      if (route === 'live') return live.serve(app.activity, req, res);
    } else if (route === 'dead-letters/replay' || route === 'dead-letters/discard') {
      const action = route === 'dead-letters/replay' ? 'replay' : 'discard';
      return json(res, 200, await changeDeadLetters(deadLettersOf(host, app), action, query));
    } else if (route === 'sagas/retry') {
      return json(res, 200, await retrySaga(app.store, query));
    }
    throw new RouteNotFoundError(`no console API route at ${method} ${route || '/'}; its routes: ${ROUTES.join(', ')}`);
  }

  return {
    prefix: resolved.prefix,
    enabled: resolved.enabled,
    handle,
    close() {
      live.closeAll();
      watch?.watch.stop();
      history?.history.stop();
    },
  };
}

function deadLettersOf(host: SyncHost, app: App) {
  if (host.deadLetters) return host.deadLetters;
  const access = app.broker.deadLetters;
  if (!access) throw new RouteNotFoundError(`this app's broker gives no dead-letter access`);
  return { groups: groupsOf(app), access };
}

/** What the history samples in this app: its groups, its broker's backlog, its outbox's counts. */
function historyFor(app: App, options: ResolvedConsoleOptions): History {
  const broker = app.broker;
  const outbox = outboxAdminOf(app.store?.outbox);
  return new History(
    {
      groups: () => groupsOf(app),
      ...(broker.backlog ? { backlog: (group: string) => broker.backlog!(group) } : {}),
      ...(outbox ? { outboxCounts: () => outbox.counts() } : {}),
    },
    options.history,
    options.idleMs,
  );
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
    .end(text);
}
