import type { IncomingMessage, ServerResponse } from 'node:http';
import { CallHeader, ShuttingDownError, type InvokeRequest, type TraceContext } from '@tandem/core';

const DIGITS = /^\d+$/;

/**
 * What a request hands the runtime: the call headers Tandem reads, and the client going
 * away as the run's cancellation. A class, so every request has one shape and the
 * cancellation hook is a method, not a closure per request.
 */
export class HttpInvokeRequest implements InvokeRequest {
  readonly headers: Record<string, string>;
  timeoutMs: number | undefined = undefined;
  correlationId: string | undefined = undefined;
  causationId: string | undefined = undefined;
  idempotencyKey: string | undefined = undefined;
  principal: string | undefined = undefined;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
    /** The server span's context; the handler's events and calls continue its trace. */
    readonly trace: TraceContext | undefined,
  ) {
    const h = req.headers;
    this.headers = h as Record<string, string>;
    const timeout = h[CallHeader.timeout];
    if (typeof timeout === 'string' && DIGITS.test(timeout)) this.timeoutMs = Number(timeout);
    const correlation = h[CallHeader.correlationId];
    if (typeof correlation === 'string') this.correlationId = correlation;
    const causation = h[CallHeader.causationId];
    if (typeof causation === 'string') this.causationId = causation;
    const key = h[CallHeader.idempotencyKey];
    if (typeof key === 'string') this.idempotencyKey = key;
  }

  onCancel(cancel: (reason: unknown) => void): void {
    const res = this.res;
    const gone = () => cancel(new ShuttingDownError('the client closed the connection'));
    if (res.destroyed && !res.writableFinished) gone();
    else
      res.once('close', () => {
        if (!res.writableFinished) gone();
      });
  }
}
