import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestedInputVersion, upcastInput, type Logger, type SyncHost } from '@tandem/core';
import { REPLAYED_HEADER } from './idempotency.js';
import type { ExchangeServer, HttpExchange } from './exchange.js';
import { refusal, replyWithProblem } from './reply.js';
import { statusOf } from './problem.js';
import type { HttpServerOptions } from './server-options.js';
import type { ServerLimits } from './server-limits.js';

export const STOPPING = 'the service is shutting down; retry on another instance';

/**
 * The server's side of an exchange once its route is known: runs the endpoint on the host
 * when the input is read (after the auth hook and an upcast when they apply), and writes the
 * answer. Every error the server answers goes through `fail`, routed or not, so what a
 * draining server adds to an answer is decided in one place.
 */
export class EndpointDispatch implements ExchangeServer {
  /** The app's host, from the server's start on. */
  host: SyncHost | undefined = undefined;
  /** Whether the app said it began to stop (SyncServer.drain); cleared when the server starts again. */
  drainBegan = false;

  constructor(
    readonly limits: ServerLimits,
    readonly log: Logger,
    private readonly options: HttpServerOptions,
  ) {}

  /** Whether the server is draining: every answer then closes its connection. */
  get draining(): boolean {
    return this.drainBegan || this.host?.accepting === false;
  }

  /** The request's input is known: run its handler. */
  serve(x: HttpExchange, body: unknown): void {
    try {
      // Set: the router made the exchange only once the server had started, and it stays set.
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
