import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  deadLetterJson,
  ForbiddenError,
  MalformedRequestError,
  RouteNotFoundError,
  type Logger,
  type SyncHost,
} from '@tandem/core';
import { ADMIN_REPLAY, serveReplay } from './admin-replay.js';

/** The operator's routes on the app's own server; each is off unless its flag is set. */
export interface AdminOptions {
  /**
   * Serve `GET /admin/dead-letters` (every group's dead letters, or `?group=G&limit=N`) and
   * `POST /admin/dead-letters/replay?group=G&id=ID[&id=ID...]` (or `&all=true`). The in-process
   * broker's dead letters live only in the app's process; this is how its operator sees them
   * (`tandem dead-letters list --app URL` reads the same route). Dead letters carry message
   * bodies, so the routes answer only what `authorize` allows.
   */
  deadLetters?: boolean;
  /**
   * Serve `POST /admin/replay?group=G&type=T[&type=..]&since=ISO[&until=ISO][&topic=..][&rate=N]
   * [&batch=N][&dryRun=true][&from=outbox|broker]`: `app.replay()`, its progress streamed as
   * NDJSON lines (`tandem replay --app URL` reads them). The in-process broker's groups live
   * only in the app's process; this is how they get a replay. Guarded by `authorize`.
   */
  replay?: boolean;
  /**
   * Whether a request may use the admin routes. Default: only from this machine (a loopback
   * peer address, 127.0.0.1 or ::1) and addressed to it (a Host of localhost or a loopback
   * address, so a page reaching it by DNS rebinding is refused); a proxy in front makes every
   * request look local, so behind one, pass a check of your own (a token header, say).
   * Whatever it allows, a browser's POST from a page of another site is refused.
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>;
}

export const ADMIN_DEAD_LETTERS = '/admin/dead-letters';

/** Whether `relative` (the path below the server's base path) is an admin route that `options` turns on. */
export function isAdminRoute(options: AdminOptions | undefined, relative: string): boolean {
  return (
    (options?.deadLetters === true && relative.startsWith(ADMIN_DEAD_LETTERS)) ||
    (options?.replay === true && relative === ADMIN_REPLAY)
  );
}

function isLoopback(address: string | undefined): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address ?? '');
}

/**
 * Whether the request names this machine in its Host header. A page whose own name resolves
 * to 127.0.0.1 (DNS rebinding) is same-origin with these routes in a browser on this
 * machine and would pass the loopback check alone.
 */
function namesLoopback(host: string | undefined): boolean {
  const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** A browser's request made by a page of another site (the CLI and curl send no such header). */
function crossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

export async function serveAdmin(
  options: AdminOptions,
  host: SyncHost | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  relative: string,
  query: URLSearchParams,
  log: Logger,
): Promise<void> {
  const allowed = options.authorize
    ? await options.authorize(req)
    : isLoopback(req.socket.remoteAddress) && namesLoopback(req.headers.host);
  if (!allowed)
    throw new ForbiddenError(
      `the admin routes answer only requests their authorize hook allows (by default, from this machine, ` +
        `addressed to localhost or a loopback address)`,
    );
  if (req.method !== 'GET' && crossSite(req))
    throw new ForbiddenError(
      `the admin routes refuse changes asked by a page of another site (Sec-Fetch-Site: ${String(req.headers['sec-fetch-site'])})`,
    );
  if (relative === ADMIN_REPLAY) return serveReplay(host, req, res, query, log);
  const access = host?.deadLetters;
  if (!access) throw new RouteNotFoundError(`this app's broker gives no dead-letter access`);
  const method = req.method ?? 'GET';
  const group = query.get('group') ?? undefined;
  if (group !== undefined && !access.groups.includes(group))
    throw new MalformedRequestError(
      `no consumer group '${group}' in this app; its groups: ${access.groups.join(', ') || '(none)'}`,
    );
  if (relative === ADMIN_DEAD_LETTERS && method === 'GET') {
    const limitText = query.get('limit');
    const limit = limitText === null ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
      throw new MalformedRequestError(`limit: expected a positive integer, got '${limitText}'`);
    const groups = [];
    for (const name of group !== undefined ? [group] : access.groups) {
      const letters = await access.access.list(name, limit !== undefined ? { limit } : {});
      groups.push({ group: name, deadLetters: letters.map(deadLetterJson) });
    }
    return json(res, 200, { groups });
  }
  if (relative === `${ADMIN_DEAD_LETTERS}/replay` && method === 'POST') {
    if (group === undefined)
      throw new MalformedRequestError(`replay: pass ?group=G and ?id=ID (repeatable) or all=true`);
    const all = query.get('all') === 'true';
    const chosen = query.getAll('id');
    if (all === chosen.length > 0)
      throw new MalformedRequestError(`replay: pass either id=ID (repeatable) or all=true`);
    const ids = all ? (await access.access.list(group)).map((l) => l.id) : chosen;
    const replayed = ids.length > 0 ? await access.access.replay(group, ids) : 0;
    return json(res, 200, { group, replayed, of: ids.length });
  }
  throw new RouteNotFoundError(
    `no admin route at ${method} ${relative}; use GET ${ADMIN_DEAD_LETTERS} or POST ${ADMIN_DEAD_LETTERS}/replay`,
  );
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    })
    .end(text);
}
