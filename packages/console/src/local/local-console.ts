import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { ConfigError } from '@tandem/core';
import { escapeHtml, PAGE_HEADERS, pageAssets, type PageAsset } from '../page/assets.js';
import { appTargets, type AppTarget } from './app-target.js';
import { appStatuses, appsIndexHtml } from './apps-index.js';
import { sendProblem } from './problem.js';
import { DEFAULT_ANSWER_TIMEOUT_MS, forwardToApp } from './proxy.js';

/** What startLocalConsole() takes. */
export interface LocalConsoleOptions {
  /** The apps' base URLs (`http://127.0.0.1:3000`); each serves consoleApi() at `/_tandem/api`. */
  apps: readonly string[];
  /** Default 4400; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. A non-loopback address needs `allowRemote`. */
  host?: string;
  /**
   * Listen on a non-loopback address. Anyone who reaches the port then uses the apps' consoles
   * (replay included) as this machine, which the apps' default check admits: only on a
   * network you trust.
   */
  allowRemote?: boolean;
  /** How long an app may take to answer a forwarded request with its status line. Default 30 s. */
  answerTimeoutMs?: number;
  /** How long the index waits for each app's model. Default 3 s. */
  probeTimeoutMs?: number;
}

/** A running local console. */
export interface LocalConsole {
  /** Where it listens, e.g. `http://127.0.0.1:4400/`. */
  readonly url: string;
  /** The apps, credentials redacted, in `/apps/<n>/` order. */
  readonly apps: readonly string[];
  /** Stops listening and ends every forwarded request, live streams included. */
  close(): Promise<void>;
}

function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Whether the Host header names this console in a way a DNS-rebinding page cannot: localhost,
 * a loopback address, or (listening remotely) an IP address or the name it was told to listen on.
 */
function hostAllowed(header: string | undefined, remote: boolean, listenHost: string): boolean {
  const name = (header ?? '')
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (isLoopbackAddress(name)) return true;
  return remote && (isIP(name) !== 0 || name === listenHost.toLowerCase());
}

/**
 * One console over several apps: `/` lists them, `/apps/<n>/` serves the console page for
 * the n-th, and `/apps/<n>/api/*` forwards to that app's `/_tandem/api/*`. See docs/console.md.
 */
export async function startLocalConsole(options: LocalConsoleOptions): Promise<LocalConsole> {
  const apps = appTargets(options.apps);
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackAddress(host) && !options.allowRemote)
    throw new ConfigError(
      `the local console listens on this machine only; '${host}' is not a loopback address (pass --allow-remote, allowRemote: true, to listen on it anyway)`,
    );
  const timeoutMs = options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
  const assets = pageAssets('api');
  const pages = apps.map((app) => appPage(assets.get('/')!.body, app));
  const remote = options.allowRemote === true;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, remote, host))
      return sendProblem(
        res,
        403,
        'TANDEM_FORBIDDEN',
        'the local console answers requests to localhost or a loopback address only (Host header), against DNS rebinding',
      );
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const read = req.method === 'GET' || req.method === 'HEAD';
    const match = /^\/apps\/(\d+)(\/.*)?$/.exec(path);
    const app: AppTarget | undefined = match ? apps[Number(match[1])] : undefined;
    const rest = match?.[2] ?? '';
    if (app && (rest === '/api' || rest.startsWith('/api/'))) {
      if (!read && !sameOrigin(req))
        return sendProblem(res, 403, 'TANDEM_FORBIDDEN', 'the local console refuses state changes from another site', {
          check: 'origin',
        });
      return forwardToApp(req, res, app, url.slice(`/apps/${match![1]}/api`.length), timeoutMs);
    }
    if (!read) return sendProblem(res, 405, 'TANDEM_METHOD_NOT_ALLOWED', `the local console takes GET at ${path}`);
    if (app && rest === '') {
      res.writeHead(308, { location: `${app.index}/`, 'content-length': 0 }).end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      const html = Buffer.from(appsIndexHtml(await appStatuses(apps, options.probeTimeoutMs ?? 3_000)));
      return sendPage(req, res, html, 'text/html; charset=utf-8');
    }
    const asset = app
      ? rest === '/' || rest === '/index.html'
        ? pages[app.index]
        : assets.get(rest)
      : path === '/console.css'
        ? assets.get(path)
        : undefined;
    if (asset) return sendPage(req, res, asset.body, asset.type);
    sendProblem(
      res,
      404,
      'TANDEM_ROUTE_NOT_FOUND',
      `nothing at ${path.slice(0, 200)}; the apps are at /apps/0/ to /apps/${apps.length - 1}/, listed at /`,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendProblem(res, 500, 'TANDEM_INTERNAL', `the local console failed: ${(error as Error).message}`);
    });
  });
  await listen(server, options.port ?? 4400, host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    apps: apps.map((a) => a.shown),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The page of one app: its title links back to the list of apps and names the app, so several
 * tabs of the local console tell themselves apart. Static markup, no script.
 */
function appPage(html: Buffer, app: AppTarget): PageAsset {
  const heading = '<h1>Tandem console</h1>';
  const text = html.toString('utf8');
  if (!text.includes(heading)) throw new Error(`the console page bundle has no ${heading} to name the app in`);
  const named = `<h1><a href="../../">Tandem console</a> <span class="muted">app ${app.index}: ${escapeHtml(app.shown)}</span></h1>`;
  return {
    body: Buffer.from(
      text
        .replace(heading, named)
        .replace('<title>Tandem console</title>', `<title>Tandem console: app ${app.index}</title>`),
    ),
    type: 'text/html; charset=utf-8',
  };
}

/** A POST's origin check (the app's own cannot see the browser's origin): same site, same origin. */
function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function sendPage(req: IncomingMessage, res: ServerResponse, body: Buffer, type: string): void {
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, ...PAGE_HEADERS });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(
          new ConfigError(
            `the local console cannot listen on ${host}:${port}: the port is in use (pass another --port, or 0 for a free one)`,
          ),
        );
      else
        reject(
          new ConfigError(`the local console cannot listen on ${host}:${port}: ${error.message}`, { cause: error }),
        );
    });
    server.listen(port, host, () => resolve());
  });
}
