/** node:http glue for the HTTP spans of @tandem/core (OpenTelemetry semantic conventions). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { activeTracer, startHttpServerSpan, type HttpServerSpan, type TraceContext } from '@tandem/core';

export const TRACING_SCOPE = '@tandem/transport-http';
// On the request itself: a WeakMap entry per request costs the GC more than a property.
const kServerSpan = Symbol('tandem.serverSpan');
type TracedRequest = IncomingMessage & { [kServerSpan]?: HttpServerSpan };

const HOST = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/;

/**
 * Starts the SERVER span of a request matched to `route` and ends it when the response
 * closes. Returns the context the handler runs in; undefined without a tracing SDK.
 */
export function startServerSpan(
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  path: string,
): TraceContext | undefined {
  // Checked first: the attributes below read headers and the socket's peer address.
  if (!activeTracer(TRACING_SCOPE)) return undefined;
  const host = req.headers.host ? HOST.exec(req.headers.host) : null;
  const span = startHttpServerSpan(TRACING_SCOPE, {
    method: req.method ?? 'GET',
    route,
    path,
    scheme: 'encrypted' in req.socket ? 'https' : 'http',
    headers: req.headers,
    serverAddress: host?.[1],
    serverPort: host?.[2] !== undefined ? Number(host[2]) : undefined,
    clientAddress: req.socket.remoteAddress,
    protocolVersion: req.httpVersion,
    userAgent: req.headers['user-agent'],
  });
  if (!span) return undefined;
  if (!span.recording) return span.context;
  (req as TracedRequest)[kServerSpan] = span;
  res.once('close', () => span.end(res.statusCode, !res.writableFinished));
  return span.context;
}

/** Records the error a request failed with on its server span. */
export function recordServerError(req: IncomingMessage, error: unknown, status: number): void {
  (req as TracedRequest)[kServerSpan]?.fail(error, status);
}
