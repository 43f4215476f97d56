import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import { AbortedError, createLogger, type SyncHost } from '@tandem/core';
import { ServerRequest } from './server-request.js';
import { listen } from './listen.js';
import { listenAddress } from './listen-env.js';
import { answerClientErrors } from './client-error.js';
import { Connections } from './drain.js';
import type { HttpServer, HttpServerOptions, Next } from './server-options.js';
import { serverLimits } from './server-limits.js';
import { EndpointDispatch } from './server-dispatch.js';
import { pathOf, RequestRouter } from './server-routing.js';

/** What App.stop gives aborted runs after its deadline, at most. */
const ABORT_GRACE_MS = 2_000;
const UNANSWERED = 'the service stopped before the handler answered; resend with an Idempotency-Key to retry safely';

/** Makes the HTTP server for an app's commands and queries; pass it to createApp({ http }). */
export function httpServer(options: HttpServerOptions = {}): HttpServer {
  return new NodeHttpServer(options);
}

/**
 * The server's lifecycle: start (route the host's endpoints, then listen unless told not
 * to), drain and stop, with the connections of its own listener. Requests go to the router
 * (server-routing.ts), and a routed one on to the dispatch (server-dispatch.ts).
 */
class NodeHttpServer implements HttpServer {
  readonly name = 'http';
  private readonly dispatch: EndpointDispatch;
  private readonly router: RequestRouter;
  private server: Server | undefined;
  private connections: Connections | undefined;
  /** When the app said it began to stop: the deadline it gave (ms since the epoch). */
  private drainDeadline: number | undefined;
  private listenerClosed: Promise<void> | undefined;
  private address: string | undefined;
  readonly handler: (req: IncomingMessage, res: ServerResponse, next?: Next) => void;

  constructor(private readonly options: HttpServerOptions) {
    const log = options.logger ?? createLogger({ level: 'warn' });
    this.dispatch = new EndpointDispatch(serverLimits(options), log, options);
    this.router = new RequestRouter(options, this.dispatch);
    this.handler = this.router.handler;
  }

  get url(): string | undefined {
    return this.server ? this.address : undefined;
  }

  /** The listening URL, kept once known: a draining server has closed its listener but still serves its connections. */
  private get listeningUrl(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) return undefined;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}${this.router.basePath}`;
  }

  handles(req: IncomingMessage): boolean {
    return this.router.handles(req);
  }

  async start(host: SyncHost): Promise<void> {
    this.dispatch.host = host;
    this.dispatch.drainBegan = false;
    this.drainDeadline = undefined;
    this.listenerClosed = undefined;
    this.router.route(host);
    if (this.options.listen === false) return;
    const { port, host: address } = listenAddress(this.options);
    const { requestTimeoutMs, headersTimeoutMs } = this.dispatch.limits;
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
    this.dispatch.drainBegan = true;
    this.connections?.drain(this.drainDeadline);
    this.stopListening();
    this.router.closeMounts();
  }

  /**
   * Ends each open connection cleanly (see Connections): by the app's drain deadline, or
   * `closeTimeoutMs` from now without one, plus FLUSH_MS at most.
   */
  async stop(): Promise<void> {
    const server = this.server;
    const connections = this.connections;
    this.router.closeMounts();
    if (!server || !connections) return;
    connections.drain(this.drainDeadline ?? Date.now() + this.dispatch.limits.closeTimeoutMs);
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

  /** At the deadline, a request whose handler never answered (it ignored its signal) gets a 503. */
  private answerUnanswered(res: ServerResponse): void {
    const req = res.req;
    res.setHeader('retry-after', '1');
    this.dispatch.fail(req, res, pathOf(req.url ?? '/'), new AbortedError(UNANSWERED));
  }
}
