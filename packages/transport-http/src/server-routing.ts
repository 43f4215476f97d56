import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  MalformedRequestError,
  MethodNotAllowedError,
  RouteNotFoundError,
  type SyncEndpoint,
  type SyncHost,
} from '@tandem/core';
import { readJsonBody, readQueryInput } from './body.js';
import { startServerSpan } from './http-tracing.js';
import { HttpExchange } from './exchange.js';
import { isAdminRoute, serveAdmin } from './admin.js';
import { refusal } from './reply.js';
import { hasBody, routeOf, RouteTable } from './routes.js';
import { answerHealth, LIVE, READY } from './health.js';
import type { HttpServerOptions, Next } from './server-options.js';
import { Mounts } from './mounts.js';
import { STOPPING, type EndpointDispatch } from './server-dispatch.js';

/** The path of a request target, without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** What a route leads to: the endpoint, and its path template (`/orders/:id`) for the server span's `http.route`. */
interface Served {
  endpoint: SyncEndpoint;
  template: string;
}

/**
 * Which answer a request gets: a health route, an admin route, a mount, or a command or
 * query (read its input, then hand it to the dispatch), else 404, 405 or express's `next`.
 */
export class RequestRouter {
  private routes = new RouteTable<Served>();
  /** The prefix of every route ('' or '/api'), without a trailing slash. */
  readonly basePath: string;
  private readonly livePath: string;
  private readonly readyPath: string;
  /** Undefined without mounts: a request then pays one property read for them. */
  private readonly mounts: Mounts | undefined;

  constructor(
    private readonly options: HttpServerOptions,
    private readonly dispatch: EndpointDispatch,
  ) {
    this.basePath = (options.basePath ?? '').replace(/\/$/, '');
    this.livePath = this.basePath + LIVE;
    this.readyPath = this.basePath + READY;
    this.mounts = options.mounts?.length ? new Mounts(options.mounts) : undefined;
  }

  /** Routes the host's endpoints, replacing those of an earlier start. */
  route(host: SyncHost): void {
    const routes = new RouteTable<Served>();
    for (const endpoint of host.endpoints) {
      const route = endpoint.route ?? routeOf(endpoint.contract);
      const template = this.basePath + route.path;
      routes.add({ method: route.method, path: template }, { endpoint, template });
    }
    this.routes = routes;
  }

  /** The server began to drain or stop: the mounts end their long-lived answers. */
  closeMounts(): void {
    this.mounts?.close();
  }

  /** The mount `path` falls under, if any. */
  private mountOf(path: string) {
    const mounts = this.mounts;
    return mounts !== undefined && path.startsWith(this.basePath)
      ? mounts.match(path.slice(this.basePath.length))
      : undefined;
  }

  private isHealthPath(path: string): boolean {
    return path === this.livePath || path === this.readyPath;
  }

  /** Whether `path` is one of the admin routes, when they are on. */
  private isAdminPath(path: string): boolean {
    // Every request asks: with no admin routes on, the answer costs one property read.
    const admin = this.options.admin;
    return (
      admin !== undefined && path.startsWith(this.basePath) && isAdminRoute(admin, path.slice(this.basePath.length))
    );
  }

  handles(req: IncomingMessage): boolean {
    try {
      const path = pathOf(req.url ?? '/');
      if (this.isHealthPath(path) || this.isAdminPath(path) || this.mountOf(path)) return true;
      return this.routes.lookup(req.method ?? 'GET', path) !== undefined;
    } catch {
      // Nothing a request carries may throw out into the framework; `handle` answers it instead.
      return true;
    }
  }

  readonly handler = (req: IncomingMessage, res: ServerResponse, next?: Next): void => {
    this.handle(req, res, next);
  };

  /**
   * Callbacks and the host's `dispatch` rather than an async function with awaits: this is
   * every request's path, and each promise costs again in apps whose tracing SDK keeps
   * context with async hooks. The slower cases (an auth hook, an Idempotency-Key) go
   * through the dispatch's `serveChecked`, which awaits.
   */
  private handle(req: IncomingMessage, res: ServerResponse, next?: Next): void {
    const url = req.url ?? '/';
    const path = pathOf(url);
    const method = req.method ?? 'GET';
    const dispatch = this.dispatch;
    try {
      const host = dispatch.host;
      if (dispatch.draining) res.setHeader('connection', 'close');
      if (this.isHealthPath(path)) {
        answerHealth(host, dispatch.limits.healthChecks, path, req, res).catch((error: unknown) =>
          dispatch.fail(req, res, path, error),
        );
        return;
      }
      if (this.isAdminPath(path)) {
        const query = new URLSearchParams(url.length > path.length ? url.slice(path.length + 1) : '');
        serveAdmin(this.options.admin!, host, req, res, path.slice(this.basePath.length), query, dispatch.log).catch(
          (error: unknown) => dispatch.fail(req, res, path, error),
        );
        return;
      }
      const mounted = this.mountOf(path);
      if (mounted) {
        const query = new URLSearchParams(url.length > path.length ? url.slice(path.length + 1) : '');
        const request = { host, path: mounted.rest, query, log: dispatch.log };
        Promise.resolve()
          .then(() => mounted.mount.handle(req, res, request))
          .catch((error: unknown) => dispatch.fail(req, res, path, error));
        return;
      }
      if (!host) throw refusal(res, 'the server has not started yet', false);
      const match = this.routes.lookup(method, path);
      if (match === undefined) {
        if (next) return next();
        throw new RouteNotFoundError(`no command or query is served at ${method} ${path}`);
      }
      if ('allowed' in match) {
        res.setHeader('allow', match.allowed.join(', '));
        throw new MethodNotAllowedError(`${path} does not accept ${method}; use ${match.allowed.join(' or ')}`);
      }
      if (match.found.malformed !== undefined)
        throw new MalformedRequestError(
          `path parameter '${match.found.malformed}' of ${path} is not valid percent-encoding; encode it with encodeURIComponent`,
        );
      if (!host.accepting) throw refusal(res, STOPPING, true);
      const { endpoint, template } = match.found.target;
      const trace = startServerSpan(req, res, template, path);
      const exchange = new HttpExchange(dispatch, req, res, method, path, endpoint, match.found.params, trace);
      if (hasBody(method)) readJsonBody(req, dispatch.limits, exchange);
      else
        dispatch.serve(
          exchange,
          readQueryInput(url.length > path.length ? url.slice(path.length + 1) : '', dispatch.limits),
        );
    } catch (error) {
      dispatch.fail(req, res, path, error);
    }
  }
}
