import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, type Logger, type SyncHost } from '@tandem/core';

/** What a mounted route's handler gets besides the request: the app's host, the path below the prefix, the query. */
export interface MountRequest {
  /** The app's host once the server started (undefined before): its health, dead letters, `app`. */
  readonly host: SyncHost | undefined;
  /** The request's path below the mount's prefix, '' or starting with '/'. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly log: Logger;
}

/**
 * Routes served under a prefix of the app's own server, beside its commands and queries
 * (the console's admin API is one). The server answers what `handle` throws as it answers
 * a handler's error (problem+json, status from the error's code).
 */
export interface HttpMount {
  /** A path prefix below the server's base path, e.g. '/_tandem/api'. */
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, request: MountRequest): void | Promise<void>;
  /** The server began to drain or stop: end long-lived answers (event streams) now. */
  close?(): void;
}

/** The mounts of a server, matched by prefix, the longest first. */
export class Mounts {
  private readonly list: readonly HttpMount[];

  constructor(mounts: readonly HttpMount[]) {
    for (const mount of mounts)
      if (!/^\/[^?#]*[^/?#]$/.test(mount.prefix))
        throw new ConfigError(
          `httpServer mounts: prefix '${mount.prefix}' must start with '/' and not end with one, e.g. '/_tandem/api'`,
        );
    this.list = [...mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The mount `relative` (a path below the base path) falls under, and the path below its prefix. */
  match(relative: string): { mount: HttpMount; rest: string } | undefined {
    for (const mount of this.list) {
      if (!relative.startsWith(mount.prefix)) continue;
      const rest = relative.slice(mount.prefix.length);
      if (rest === '' || rest.startsWith('/')) return { mount, rest };
    }
    return undefined;
  }

  close(): void {
    for (const mount of this.list) mount.close?.();
  }
}
