import type { IncomingMessage, ServerResponse } from 'node:http';
import { posix } from 'node:path';
import { MethodNotAllowedError, RouteNotFoundError } from '@tandem/core';
import type { ConsoleRequest } from '../api/console-api.js';
import { Guard } from '../api/guard.js';
import { resolveConsoleOptions, type ConsoleApiOptions } from '../api/options.js';
import { PAGE_HEADERS, pageAssets, type PageAsset } from './assets.js';

/** What consolePage() takes: the same switch and access rule as the API's, and where both are served. */
export interface ConsolePageOptions extends Pick<ConsoleApiOptions, 'enabled' | 'authorize'> {
  /** Where the page is served, below the server's base path. Default '/_tandem'. */
  prefix?: string;
  /** Where consoleApi() is mounted (its `prefix`), for the page to call. Default '/_tandem/api'. */
  apiPrefix?: string;
}

/** The console page, to mount beside the API: `httpServer({ mounts: [consoleApi(), consolePage()] })`. */
export interface ConsolePage {
  readonly prefix: string;
  readonly enabled: boolean;
  handle(req: IncomingMessage, res: ServerResponse, request: ConsoleRequest): Promise<void>;
}

/**
 * The console page: one HTML file, one script and one style sheet, committed in the package
 * (it works offline), served with a strict Content-Security-Policy under the same access
 * rules as consoleApi() (off in production unless turned on, then only with `authorize`).
 * The page reads everything from the API; see docs/console.md.
 */
export function consolePage(options: ConsolePageOptions = {}): ConsolePage {
  const resolved = resolveConsoleOptions({ enabled: options.enabled, authorize: options.authorize });
  const prefix = options.prefix ?? '/_tandem';
  const apiPrefix = options.apiPrefix ?? resolved.prefix;
  const guard = new Guard(resolved);
  // Relative to the page's own URL (prefix + '/'), so a server's basePath needs no setting.
  const assets = resolved.enabled ? pageAssets(posix.relative(prefix, apiPrefix) || '.') : new Map<string, PageAsset>();
  const lastSegment = prefix.slice(prefix.lastIndexOf('/') + 1);

  async function handle(req: IncomingMessage, res: ServerResponse, request: ConsoleRequest): Promise<void> {
    if (!resolved.enabled) throw new RouteNotFoundError(`no route at ${prefix}${request.path}`);
    await guard.admit(req);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowedError('the console page takes GET');
    if (request.path === '') {
      // The page's relative URLs (its script, the API) need the trailing slash.
      res.writeHead(308, { location: `${lastSegment}/`, 'content-length': 0 }).end();
      return;
    }
    const asset = assets.get(request.path === '/index.html' ? '/' : request.path);
    if (!asset) throw new RouteNotFoundError(`no console page file at ${prefix}${request.path}`);
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      ...PAGE_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  return { prefix, enabled: resolved.enabled, handle };
}
