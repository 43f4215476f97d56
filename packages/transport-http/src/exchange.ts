import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AbortedError,
  CallHeader,
  type InvokeReply,
  type InvokeRequest,
  type SyncEndpoint,
  type TraceContext,
} from '@tandem/core';
import type { BodySink } from './body.js';
import { REPLAYED_HEADER } from './idempotency.js';

const DIGITS = /^\d+$/;

/** What an exchange needs from its server: the next step once the body is read, and the answers. */
export interface ExchangeServer {
  /** The largest caller deadline honoured (httpServer's `maxTimeoutMs`). */
  readonly limits: { readonly maxTimeoutMs: number };
  serve(exchange: HttpExchange, body: unknown): void;
  respond(exchange: HttpExchange, result: unknown): void;
  fail(req: IncomingMessage, res: ServerResponse, path: string, error: unknown): void;
}

/**
 * One request on its way through the server once its route is known. It is also what the
 * runtime gets: the call headers Tandem reads, the client going away as the run's
 * cancellation, and where the outcome goes. One object with methods, so a request costs
 * no closures for its body, its cancellation or its answer.
 */
export class HttpExchange implements InvokeRequest, InvokeReply, BodySink {
  readonly headers: Record<string, string>;
  timeoutMs: number | undefined = undefined;
  correlationId: string | undefined = undefined;
  causationId: string | undefined = undefined;
  idempotencyKey: string | undefined = undefined;
  principal: string | undefined = undefined;
  /** The `tandem-contract-version` header: the contract version the caller was built against. */
  contractVersion: string | undefined = undefined;
  /** Set by the runtime when the answer replays an earlier run with the same Idempotency-Key. */
  replayed: boolean | undefined = undefined;

  constructor(
    private readonly server: ExchangeServer,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly method: string,
    readonly path: string,
    readonly endpoint: SyncEndpoint,
    /** Path parameters of a templated route (`/orders/:id`). */
    readonly params: Record<string, string> | undefined,
    /** The server span's context; the handler's events and calls continue its trace. */
    readonly trace: TraceContext | undefined,
  ) {
    const h = req.headers;
    this.headers = h as Record<string, string>;
    const timeout = h[CallHeader.timeout];
    // Clamped: past 2^31 ms a timer fires at once, and no caller needs more than the maximum.
    if (typeof timeout === 'string' && DIGITS.test(timeout))
      this.timeoutMs = Math.min(Number(timeout), server.limits.maxTimeoutMs);
    const correlation = h[CallHeader.correlationId];
    if (typeof correlation === 'string') this.correlationId = correlation;
    const causation = h[CallHeader.causationId];
    if (typeof causation === 'string') this.causationId = causation;
    const key = h[CallHeader.idempotencyKey];
    if (typeof key === 'string') this.idempotencyKey = key;
    const version = h[CallHeader.contractVersion];
    if (typeof version === 'string') this.contractVersion = version;
  }

  bodyRead(error: unknown, body?: unknown): void {
    if (error === undefined) this.server.serve(this, body);
    else this.server.fail(this.req, this.res, this.path, error);
  }

  onCancel(cancel: (reason: unknown) => void): void {
    const res = this.res;
    const gone = () => cancel(new AbortedError('the client closed the connection before the answer'));
    if (res.destroyed && !res.writableFinished) gone();
    else
      res.once('close', () => {
        if (!res.writableFinished) gone();
      });
  }

  resolve(result: unknown): void {
    this.server.respond(this, result);
  }

  reject(error: unknown): void {
    if (this.replayed && !this.res.headersSent) this.res.setHeader(REPLAYED_HEADER, 'true');
    this.server.fail(this.req, this.res, this.path, error);
  }
}
