import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream';
import type { AppTarget } from './app-target.js';
import { sendProblem } from './problem.js';

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Headers of the browser's request that are for the local console, not the app: its host and
 * origin (the app checks its own), and credentials (cookies for localhost are shared by every
 * local port, and an app's credentials come from its URL).
 */
const REQUEST_ONLY = new Set(['host', 'origin', 'referer', 'cookie', 'authorization']);

/** The app may not set cookies on the local console's origin, which other local services share. */
const RESPONSE_ONLY = new Set(['set-cookie']);

/**
 * How long an app may take to answer with its status line: room for a replay of a whole group.
 * A live stream answers at once.
 */
export const DEFAULT_ANSWER_TIMEOUT_MS = 30_000;

function forwarded(headers: IncomingHttpHeaders, drop: ReadonlySet<string>): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name) && !drop.has(name) && !named.has(name)) out[name] = value;
  return out;
}

/**
 * Forwards one request to `<app>/_tandem/api/<path>`, both bodies piped as they come (the live
 * stream is a response that never ends). An app that does not answer is a 502 naming it.
 */
export function forwardToApp(
  req: IncomingMessage,
  res: ServerResponse,
  app: AppTarget,
  path: string,
  answerTimeoutMs = DEFAULT_ANSWER_TIMEOUT_MS,
): void {
  const target = new URL(app.api.href);
  const [pathname = '', search = ''] = path.split(/\?(.*)/s);
  target.pathname = `${target.pathname}${pathname}`;
  target.search = search;
  // Dot segments (`/api/../../commands`, also %2e-encoded) would leave the console API.
  if (target.pathname !== app.api.pathname && !target.pathname.startsWith(`${app.api.pathname}/`))
    return sendProblem(res, 404, 'TANDEM_ROUTE_NOT_FOUND', `the local console forwards only to an app's console API`);
  const headers = forwarded(req.headers, REQUEST_ONLY);
  if (app.authorization) headers.authorization = app.authorization;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstream = send(target, { method: req.method, headers });

  const timer = setTimeout(() => {
    upstream.destroy(new Error(`no answer within ${answerTimeoutMs} ms`));
  }, answerTimeoutMs);
  upstream.on('response', (answer) => {
    clearTimeout(timer);
    res.writeHead(answer.statusCode ?? 502, forwarded(answer.headers, RESPONSE_ONLY));
    // Headers now, not with the first chunk: an event stream's client waits for them.
    res.flushHeaders();
    pipeline(answer, res, () => undefined);
  });
  upstream.on('error', (error) => {
    clearTimeout(timer);
    if (res.headersSent) res.destroy();
    else
      sendProblem(res, 502, 'TANDEM_UNAVAILABLE', `the app at ${app.shown} did not answer: ${error.message}`, {
        app: app.shown,
      });
  });
  // The browser went away (a closed live stream): so does the request to the app.
  res.on('close', () => {
    clearTimeout(timer);
    if (!res.writableFinished) upstream.destroy();
  });
  // pipe, not pipeline: an app that fails must not take the browser's socket (and its 502) down.
  req.pipe(upstream);
}
