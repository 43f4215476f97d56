/** node:http glue for the HTTP spans of @tandem/core (OpenTelemetry semantic conventions). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { activeTracer, startHttpServerSpan, type HttpServerSpan, type TraceContext } from '@tandem/core';

export const TRACING_SCOPE = '@tandem/transport-http';
// On the request and response themselves: a WeakMap entry per request costs the GC more
// than a property, and a shared 'close' listener needs no closure per request.
const kServerSpan = Symbol('tandem.serverSpan');
type Traced<T> = T & { [kServerSpan]?: HttpServerSpan };

/** `host[:port]` of a Host header, IPv6 literals in brackets; without a regular expression (every request). */
function splitHost(host: string): { address: string; port: number | undefined } {
  const colon = host.lastIndexOf(':');
  const bracket = host.lastIndexOf(']');
  if (colon < 0 || colon < bracket) return { address: host, port: undefined };
  const port = Number(host.slice(colon + 1));
  return { address: host.slice(0, colon), port: Number.isInteger(port) && colon < host.length - 1 ? port : undefined };
}

function endOnClose(this: Traced<ServerResponse>): void {
  this[kServerSpan]?.end(this.statusCode, !this.writableFinished);
}

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
  const host = req.headers.host ? splitHost(req.headers.host) : undefined;
  const span = startHttpServerSpan(TRACING_SCOPE, {
    method: req.method ?? 'GET',
    route,
    path,
    scheme: 'encrypted' in req.socket ? 'https' : 'http',
    headers: req.headers,
    serverAddress: host?.address,
    serverPort: host?.port,
    clientAddress: req.socket.remoteAddress,
    protocolVersion: req.httpVersion,
    userAgent: req.headers['user-agent'],
  });
  if (!span) return undefined;
  if (!span.recording) return span.context;
  (req as Traced<IncomingMessage>)[kServerSpan] = span;
  (res as Traced<ServerResponse>)[kServerSpan] = span;
  res.on('close', endOnClose);
  return span.context;
}

/** Records the error a request failed with on its server span. */
export function recordServerError(req: IncomingMessage, error: unknown, status: number): void {
  (req as Traced<IncomingMessage>)[kServerSpan]?.fail(error, status);
}
