import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  MethodNotAllowedError,
  RouteNotFoundError,
  type Logger,
  type SyncEndpoint,
  type SyncHost,
  type SyncServer,
} from '@tandem/core';
import { readJsonBody, readQueryInput } from './body.js';
import { ServerRequest } from './server-request.js';
import { startServerSpan } from './http-tracing.js';
import { REPLAYED_HEADER } from './idempotency.js';
import { HttpExchange, type ExchangeServer } from './exchange.js';
import { listen } from './listen.js';
import { refusal, replyWithProblem } from './reply.js';
import { hasBody, routeOf, RouteTable } from './routes.js';

export interface AuthRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  endpoint: SyncEndpoint;
}

export interface HttpServerOptions {
  /** Default 3000; 0 picks a free port (see `server.url`). */
  port?: number;
  /** Default '0.0.0.0'. */
  host?: string;
  /** Set false to serve only through `handler` mounted in another server. */
  listen?: boolean;
  /** Largest request body in bytes; larger ones get 413. Default 1 MiB. */
  bodyLimit?: number;
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
  /** How long stop() waits for open requests before closing their connections. Default 10 s. */
  closeTimeoutMs?: number;
}

type Next = (error?: unknown) => void;

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

const STOPPING = 'the service is shutting down; retry on another instance';
const LIVE = '/health/live';
const READY = '/health/ready';

/** The path of a request target, without its query string. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export function httpServer(options: HttpServerOptions = {}): HttpServer {
  return new NodeHttpServer(options);
}

/** What a route leads to: the endpoint, and its path template (`/orders/:id`) for the server span's `http.route`. */
interface Served {
  endpoint: SyncEndpoint;
  template: string;
}

class NodeHttpServer implements HttpServer, ExchangeServer {
  readonly name = 'http';
  private host: SyncHost | undefined;
  private routes = new RouteTable<Served>();
  private server: Server | undefined;
  private readonly log: Logger;
  private readonly bodyLimit: number;
  private readonly basePath: string;
  private readonly livePath: string;
  private readonly readyPath: string;

  constructor(private readonly options: HttpServerOptions) {
    this.log = options.logger ?? createLogger({ level: 'warn' });
    this.bodyLimit = options.bodyLimit ?? 1024 * 1024;
    this.basePath = (options.basePath ?? '').replace(/\/$/, '');
    this.livePath = this.basePath + LIVE;
    this.readyPath = this.basePath + READY;
  }

  get url(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) return undefined;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}${this.basePath}`;
  }

  private isHealthPath(path: string): boolean {
    return path === this.livePath || path === this.readyPath;
  }

  handles(req: IncomingMessage): boolean {
    const path = pathOf(req.url ?? '/');
    if (this.isHealthPath(path)) return true;
    return this.routes.lookup(req.method ?? 'GET', path) !== undefined;
  }

  readonly handler = (req: IncomingMessage, res: ServerResponse, next?: Next): void => {
    this.handle(req, res, next);
  };

  async start(host: SyncHost): Promise<void> {
    this.host = host;
    const routes = new RouteTable<Served>();
    for (const endpoint of host.endpoints) {
      const route = endpoint.route ?? routeOf(endpoint.contract);
      const template = this.basePath + route.path;
      routes.add({ method: route.method, path: template }, { endpoint, template });
    }
    this.routes = routes;
    if (this.options.listen === false) return;
    const server = createServer({ IncomingMessage: ServerRequest }, this.handler);
    server.keepAliveTimeout = 5_000;
    this.server = server;
    await listen(server, this.options.port ?? 3000, this.options.host ?? '0.0.0.0');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Connections whose last response is still being written turn idle later; sweep them.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), this.options.closeTimeoutMs ?? 10_000);
    await closed;
    clearInterval(sweep);
    clearTimeout(timer);
  }

  /**
   * Callbacks and the host's `dispatch` rather than an async function with awaits: this is
   * every request's path, and each promise costs again in apps whose tracing SDK keeps
   * context with async hooks. The slower cases (an auth hook, an Idempotency-Key) go
   * through `serveChecked`, which awaits.
   */
  private handle(req: IncomingMessage, res: ServerResponse, next?: Next): void {
    const url = req.url ?? '/';
    const path = pathOf(url);
    const method = req.method ?? 'GET';
    try {
      const host = this.host;
      if (this.isHealthPath(path)) {
        this.health(path, res).catch((error: unknown) => this.fail(req, res, path, error));
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
      if (!host.accepting) throw refusal(res, STOPPING, true);
      const { endpoint, template } = match.found.target;
      const trace = startServerSpan(req, res, template, path);
      const exchange = new HttpExchange(this, req, res, method, path, endpoint, match.found.params, trace);
      if (hasBody(method)) readJsonBody(req, this.bodyLimit, exchange);
      else this.serve(exchange, readQueryInput(url.length > path.length ? url.slice(path.length + 1) : ''));
    } catch (error) {
      this.fail(req, res, path, error);
    }
  }

  /** The request's input is known: run its handler. */
  serve(x: HttpExchange, body: unknown): void {
    try {
      // Set: `handle` made the exchange only once the server had started, and it stays set.
      const host = this.host!;
      const input = x.params ? { ...(body as object), ...x.params } : body;
      if (this.options.auth) void this.serveChecked(host, x, input);
      else host.dispatch(x.endpoint, input, x, x);
    } catch (error) {
      this.fail(x.req, x.res, x.path, error);
    }
  }

  /** With the auth hook. */
  private async serveChecked(host: SyncHost, x: HttpExchange, input: unknown): Promise<void> {
    try {
      if (this.options.auth) {
        const principal = await this.options.auth({
          method: x.method,
          path: x.path,
          headers: x.req.headers,
          endpoint: x.endpoint,
        });
        if (principal !== undefined) x.principal = principal;
        // The app may have begun to stop while the hook ran.
        if (!host.accepting) throw refusal(x.res, STOPPING, true);
      }
      host.dispatch(x.endpoint, input, x, x);
    } catch (error) {
      this.fail(x.req, x.res, x.path, error);
    }
  }

  respond(x: HttpExchange, result: unknown): void {
    const res = x.res;
    if (res.destroyed) return;
    try {
      if (this.host?.accepting !== true) res.setHeader('connection', 'close');
      if (x.replayed) res.setHeader(REPLAYED_HEADER, 'true');
      if (result === undefined) {
        res.writeHead(204).end();
        return;
      }
      const json = JSON.stringify(result);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
    } catch (error) {
      // A result JSON cannot encode (a BigInt, a cycle) is the handler's bug: 500.
      this.fail(x.req, res, x.path, error);
    }
  }

  private async health(path: string, res: ServerResponse): Promise<void> {
    if (!this.host) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"starting"}');
      return;
    }
    const report = await this.host.health();
    const ok = path.endsWith(LIVE) ? report.live : report.ready;
    const body = JSON.stringify({ status: ok ? 'ok' : 'unavailable', checks: report.checks });
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
  }

  fail(req: IncomingMessage, res: ServerResponse, path: string, error: unknown): void {
    replyWithProblem(req, res, path, error, this.log, this.options.maxProblemDetailsBytes);
  }
}
