import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, SyncEndpoint, SyncServer } from '@tandem/core';
import type { AdminOptions } from './admin.js';
import type { HealthChecksExposure } from './health.js';
import type { HttpMount } from './mounts.js';

/** What an auth hook sees of a request: method, path, headers. */
export interface AuthRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  endpoint: SyncEndpoint;
}

/** What httpServer() takes: port, host, limits, auth, health exposure. */
export interface HttpServerOptions {
  /** Default TANDEM_HTTP_PORT, else 3000; 0 picks a free port (see `server.url`). */
  port?: number;
  /** Default TANDEM_HTTP_HOST, else '0.0.0.0'. */
  host?: string;
  /** Set false to serve only through `handler` mounted in another server. */
  listen?: boolean;
  /** Largest request body in bytes; larger ones get 413. Default 1 MiB. */
  bodyLimit?: number;
  /** Deepest nesting of a request's JSON (body or `input=` query); deeper gets 400. Default 256. */
  maxJsonDepth?: number;
  /** Most objects and arrays in a request's JSON; more gets 400. Default 100,000. */
  maxJsonContainers?: number;
  /**
   * Bytes of JSON an error's details and message may add to a problem answer; larger
   * details are left out (`details.omitted` says so). Default 16 KiB.
   */
  maxProblemDetailsBytes?: number;
  /**
   * Called before every command and query: return the caller's identity (it becomes
   * `ctx.meta.principal`), or throw UnauthorizedError / ForbiddenError.
   */
  auth?: (request: AuthRequest) => string | undefined | Promise<string | undefined>;
  /** Prefix for every route, e.g. '/api'. */
  basePath?: string;
  logger?: Logger;
  /**
   * How long stop() waits for open requests when the app has not said how long it drains
   * (see SyncServer.drain: in an app, stop() keeps to the app's `shutdownTimeoutMs`).
   * Requests still unanswered then get 503, and their connections close. Default 10 s.
   */
  closeTimeoutMs?: number;
  /**
   * Longest time a request may take to arrive, headers and body, before its connection is
   * cut (node:http's `requestTimeout`): bounds bodies that trickle in or stall. Default 30 s.
   */
  requestTimeoutMs?: number;
  /** Longest time a request's headers may take to arrive (node:http's `headersTimeout`). Default 10 s. */
  headersTimeoutMs?: number;
  /**
   * Largest caller deadline honoured, in ms: a larger `tandem-timeout-ms` is clamped to it. A
   * value that is not a whole number of ms is ignored (the run has no caller deadline). Default 5 min.
   */
  maxTimeoutMs?: number;
  /**
   * The `WWW-Authenticate` challenge of every 401 answer (RFC 9110 requires one), e.g.
   * `Bearer realm="shop"`. Default `Bearer`.
   */
  authChallenge?: string;
  /**
   * Who sees the checks of `/health/live` and `/health/ready` (see HealthChecksExposure); the
   * status is always answered. Default 'hidden' when `auth` is set, else 'public'.
   */
  healthChecks?: HealthChecksExposure;
  /** Operator routes (dead letters); off by default. See AdminOptions. */
  admin?: AdminOptions;
  /**
   * Routes of other packages served under their own prefix on this server, e.g. the
   * console's admin API (`consoleApi()` from @tandem/console). Each decides its own access.
   */
  mounts?: readonly HttpMount[];
}

/** Express's `next`: what the server calls for a request that is not its own. */
export type Next = (error?: unknown) => void;

/** The HTTP server that serves an app's commands and queries. */
export interface HttpServer extends SyncServer {
  /** A node:http request listener; with express, unmatched paths go to `next()`. */
  readonly handler: (req: IncomingMessage, res: ServerResponse, next?: Next) => void;
  /**
   * Whether `req` is for this server (a command, query or health route), whatever its
   * method; for frameworks that must decide before reading the body (fastify's onRequest).
   */
  handles(req: IncomingMessage): boolean;
  /** The listening URL once started (with the real port when `port: 0`). */
  readonly url: string | undefined;
}
