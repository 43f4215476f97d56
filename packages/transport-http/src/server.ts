import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import {
  AbortedError,
  createLogger,
  MalformedRequestError,
  MethodNotAllowedError,
  RouteNotFoundError,
  requestedInputVersion,
  upcastInput,
  type Logger,
  type SyncEndpoint,
  type SyncHost,
} from '@tandem/core';
import { readJsonBody, readQueryInput } from './body.js';
import { ServerRequest } from './server-request.js';
import { startServerSpan } from './http-tracing.js';
import { REPLAYED_HEADER } from './idempotency.js';
import { HttpExchange, type ExchangeServer } from './exchange.js';
import { listen } from './listen.js';
import { listenAddress } from './listen-env.js';
import { answerClientErrors } from './client-error.js';
import { isAdminRoute, serveAdmin } from './admin.js';
import { refusal, replyWithProblem } from './reply.js';
import { statusOf } from './problem.js';
import { hasBody, routeOf, RouteTable } from './routes.js';
import { Connections } from './drain.js';
import { answerHealth, LIVE, READY } from './health.js';
import type { HttpServer, HttpServerOptions, Next } from './server-options.js';
import { serverLimits, type ServerLimits } from './server-limits.js';
import { Mounts } from './mounts.js';

const STOPPING = 'the service is shutting down; retry on another instance';
/** What App.stop gives aborted runs after its deadline, at most. */
const ABORT_GRACE_MS = 2_000;
const UNANSWERED = 'the service stopped before the handler answered; resend with an Idempotency-Key to retry safely';

/** The path of a request target, without its query string. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Makes the HTTP server for an app's commands and queries; pass it to createApp({ http }). */
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
  private readonly basePath: string;
  private readonly livePath: string;
  private readonly readyPath: string;
  readonly limits: ServerLimits;
  private connections: Connections | undefined;
  /** When the app said it began to stop: the deadline it gave (ms since the epoch). */
  private drainDeadline: number | undefined;
  private listenerClosed: Promise<void> | undefined;
  private address: string | undefined;
  /** Undefined without mounts: a request then pays one property read for them. */
  private readonly mounts: Mounts | undefined;

  constructor(private readonly options: HttpServerOptions) {
    this.log = options.logger ?? createLogger({ level: 'warn' });
    this.limits = serverLimits(options);
    this.basePath = (options.basePath ?? '').replace(/\/$/, '');
    this.livePath = this.basePath + LIVE;
    this.readyPath = this.basePath + READY;
    this.mounts = options.mounts?.length ? new Mounts(options.mounts) : undefined;
  }

  /** The mount `path` falls under, if any. */
  private mountOf(path: string) {
    const mounts = this.mounts;
    return mounts !== undefined && path.startsWith(this.basePath)
      ? mounts.match(path.slice(this.basePath.length))
      : undefined;
  }

  get url(): string | undefined {
    return this.server ? this.address : undefined;
  }

  /** The listening URL, kept once known: a draining server has closed its listener but still serves its connections. */
  private get listeningUrl(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) return undefined;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}${this.basePath}`;
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

  async start(host: SyncHost): Promise<void> {
    this.host = host;
    this.drainDeadline = undefined;
    this.listenerClosed = undefined;
    const routes = new RouteTable<Served>();
    for (const endpoint of host.endpoints) {
      const route = endpoint.route ?? routeOf(endpoint.contract);
      const template = this.basePath + route.path;
      routes.add({ method: route.method, path: template }, { endpoint, template });
    }
    this.routes = routes;
    if (this.options.listen === false) return;
    const { port, host: address } = listenAddress(this.options);
    const { requestTimeoutMs, headersTimeoutMs } = this.limits;
    const server = createServer(
      {
        IncomingMessage: ServerRequest,
        requestTimeout: requestTimeoutMs,
        headersTimeout: headersTimeoutMs,
        // node:http checks both timeouts only this often (30 s by default), which would let a
        // request run up to twice its bound.
        connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
      },
      this.handler,
    );
    server.keepAliveTimeout = 5_000;
    answerClientErrors(server);
    this.connections = new Connections(server, (res) => this.answerUnanswered(res));
    this.server = server;
    await listen(server, port, address);
    this.address = this.listeningUrl;
  }

  /**
   * The app began to stop: stop accepting connections (a new one is refused, which any
   * client or proxy may retry elsewhere), and end the open ones cleanly (see Connections).
   * The listener closes first: closing it later, once answers with `connection: close` have
   * sent clients to reconnect, would reset the connections waiting in its accept queue.
   */
  drain(timeoutMs: number): void {
    // The app aborts the runs still going at its deadline and gives them this grace to end
    // (see App.stop); a handler that answers within it still has its answer sent.
    const deadline = Date.now() + timeoutMs + Math.min(timeoutMs, ABORT_GRACE_MS);
    this.drainDeadline = Math.min(this.drainDeadline ?? Infinity, deadline);
    this.connections?.drain(this.drainDeadline);
    this.stopListening();
    this.mounts?.close();
  }

  /**
   * Ends each open connection cleanly (see Connections): by the app's drain deadline, or
   * `closeTimeoutMs` from now without one, plus FLUSH_MS at most.
   */
  async stop(): Promise<void> {
    const server = this.server;
    const connections = this.connections;
    this.mounts?.close();
    if (!server || !connections) return;
    connections.drain(this.drainDeadline ?? Date.now() + this.limits.closeTimeoutMs);
    const closed = this.stopListening();
    this.server = undefined;
    await connections.closed();
    await closed;
    connections.dispose();
    // node:http's own close now finds no connection left; it stops its timeout checks.
    server.close();
  }

  /** Resolves once the listener is closed and its last connection has ended. */
  private stopListening(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    // net.Server's close stops listening only; node:http's would also close idle kept-alive
    // connections at once, under clients that may be sending on them (a reset for them).
    this.listenerClosed ??= new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    return this.listenerClosed;
  }

  /** Whether the server is draining: every answer then closes its connection. */
  private get draining(): boolean {
    return this.drainDeadline !== undefined || this.host?.accepting === false;
  }

  /** At the deadline, a request whose handler never answered (it ignored its signal) gets a 503. */
  private answerUnanswered(res: ServerResponse): void {
    const req = res.req;
    res.setHeader('retry-after', '1');
    this.fail(req, res, pathOf(req.url ?? '/'), new AbortedError(UNANSWERED));
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
      if (this.draining) res.setHeader('connection', 'close');
      if (this.isHealthPath(path)) {
        answerHealth(this.host, this.limits.healthChecks, path, req, res).catch((error: unknown) =>
          this.fail(req, res, path, error),
        );
        return;
      }
      if (this.isAdminPath(path)) {
        const query = new URLSearchParams(url.length > path.length ? url.slice(path.length + 1) : '');
        serveAdmin(this.options.admin!, host, req, res, path.slice(this.basePath.length), query, this.log).catch(
          (error: unknown) => this.fail(req, res, path, error),
        );
        return;
      }
      const mounted = this.mountOf(path);
      if (mounted) {
        const query = new URLSearchParams(url.length > path.length ? url.slice(path.length + 1) : '');
        const request = { host, path: mounted.rest, query, log: this.log };
        Promise.resolve()
          .then(() => mounted.mount.handle(req, res, request))
          .catch((error: unknown) => this.fail(req, res, path, error));
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
      const exchange = new HttpExchange(this, req, res, method, path, endpoint, match.found.params, trace);
      if (hasBody(method)) readJsonBody(req, this.limits, exchange);
      else
        this.serve(exchange, readQueryInput(url.length > path.length ? url.slice(path.length + 1) : '', this.limits));
    } catch (error) {
      this.fail(req, res, path, error);
    }
  }

  /** The request's input is known: run its handler. */
  serve(x: HttpExchange, body: unknown): void {
    try {
      // Set: `handle` made the exchange only once the server had started, and it stays set.
      const host = this.host!;
      // The app began to stop while the body arrived: refused before any handler code, as at the start.
      if (!host.accepting) throw refusal(x.res, STOPPING, true);
      const input = x.params ? { ...(body as object), ...x.params } : body;
      // Nearly every request is of the current version, or says none: one comparison. (A
      // contract made by an older @tandem/core has no version: it is version 1.)
      const version = x.contractVersion;
      const otherVersion = version !== undefined && version !== String(x.endpoint.contract.version ?? 1);
      if (this.options.auth || otherVersion) void this.serveChecked(host, x, input, otherVersion);
      else host.dispatch(x.endpoint, input, x, x);
    } catch (error) {
      this.fail(x.req, x.res, x.path, error);
    }
  }

  /** With the auth hook, or with input of another version than the contract's current one (upcast after auth). */
  private async serveChecked(host: SyncHost, x: HttpExchange, input: unknown, otherVersion: boolean): Promise<void> {
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
      if (otherVersion) {
        const contract = x.endpoint.contract;
        input = await upcastInput(contract, requestedInputVersion(contract, x.contractVersion!), input);
        if (!host.accepting) throw refusal(x.res, STOPPING, true);
      }
      host.dispatch(x.endpoint, input, x, x);
    } catch (error) {
      this.fail(x.req, x.res, x.path, error);
    }
  }

  respond(x: HttpExchange, result: unknown): void {
    const res = x.res;
    if (res.destroyed || res.writableEnded) return;
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

  fail(req: IncomingMessage, res: ServerResponse, path: string, error: unknown): void {
    // The server answered it already (a request it answered itself at the drain deadline).
    if (res.writableEnded) return;
    if (!res.headersSent) {
      const status = statusOf(error);
      if (status === 401 && !res.hasHeader('www-authenticate'))
        res.setHeader('www-authenticate', this.limits.authChallenge);
      if (this.draining) {
        res.setHeader('connection', 'close');
        // Every 503 of a draining server says when to come back (the runtime's own refusals too).
        if (status === 503 && !res.hasHeader('retry-after')) res.setHeader('retry-after', '1');
      }
    }
    replyWithProblem(req, res, path, error, this.log, this.options.maxProblemDetailsBytes);
  }
}
