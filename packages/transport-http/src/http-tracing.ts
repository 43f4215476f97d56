/**
 * HTTP spans after the OpenTelemetry HTTP semantic conventions, with the API only:
 * SERVER spans around served commands and queries (W3C trace context extracted from the
 * request), CLIENT spans around each request the typed client sends (context injected).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { errorType, recordSpanError, tandemTracer } from '@tandem/core';

const SCOPE = '@tandem/transport-http';
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const serverSpans = new WeakMap<IncomingMessage, Span>();

function methodOf(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

function hostAndPort(host: string | undefined): { address?: string; port?: number } {
  if (!host) return {};
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (!match) return {};
  return { address: match[1]!, ...(match[2] !== undefined ? { port: Number(match[2]) } : {}) };
}

/**
 * Starts the SERVER span of a request matched to `route` (the template, e.g.
 * `/commands/orders.place`) and ends it when the response closes. Returns the context
 * the handler runs in.
 */
export function startServerSpan(req: IncomingMessage, res: ServerResponse, route: string, path: string): Context {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const method = methodOf(req.method ?? 'GET');
  const { address, port } = hostAndPort(req.headers.host);
  const attributes: Attributes = {
    'http.request.method': method,
    'http.route': route,
    'url.path': path,
    'url.scheme': 'encrypted' in req.socket ? 'https' : 'http',
    'network.protocol.version': req.httpVersion,
  };
  if (address !== undefined) attributes['server.address'] = address;
  if (port !== undefined) attributes['server.port'] = port;
  if (req.socket.remoteAddress !== undefined) attributes['client.address'] = req.socket.remoteAddress;
  const agent = req.headers['user-agent'];
  if (agent !== undefined) attributes['user_agent.original'] = agent;
  const span = tandemTracer(SCOPE).startSpan(`${method} ${route}`, { kind: SpanKind.SERVER, attributes }, parent);
  if (span.isRecording()) {
    serverSpans.set(req, span);
    res.once('close', () => endServerSpan(span, res));
  }
  return trace.setSpan(parent, span);
}

function endServerSpan(span: Span, res: ServerResponse): void {
  const status = res.statusCode;
  span.setAttribute('http.response.status_code', status);
  // Server spans are errors for 5xx only: a 4xx is the caller's mistake, not the server's.
  if (status >= 500) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    if (!res.writableFinished) span.setAttribute('error.type', 'response_aborted');
  }
  span.end();
}

/** Records the error a request failed with on its server span (for 5xx answers). */
export function recordServerError(req: IncomingMessage, error: unknown, status: number): void {
  const span = serverSpans.get(req);
  if (!span) return;
  if (status >= 500) recordSpanError(span, error);
  else span.setAttribute('error.type', errorType(error));
}

export interface ClientSpanTarget {
  method: string;
  /** The route template, e.g. `/queries/orders.get` or `/orders/:id`. */
  route: string;
  /** The service's base URL, and the request's path with query string. */
  origin: URL;
  path: string;
  contract: string;
  /** 0 for the first try; retries carry `http.request.resend_count`. */
  resendCount: number;
}

export interface ClientSpan {
  readonly span: Span;
  /** Headers with the trace context of this span, to send with the request. */
  inject(headers: Record<string, string>): void;
  end(status: number | undefined, error?: unknown): void;
}

/** Starts the CLIENT span of one HTTP request (one per attempt), under the active context. */
export function startClientSpan(target: ClientSpanTarget): ClientSpan {
  const parent = context.active();
  const method = methodOf(target.method);
  const attributes: Attributes = {
    'http.request.method': method,
    'server.address': target.origin.hostname,
    'server.port': Number(target.origin.port || (target.origin.protocol === 'https:' ? 443 : 80)),
    'url.full': target.origin.origin + target.path,
    'url.template': target.route,
    'tandem.contract': target.contract,
  };
  if (target.resendCount > 0) attributes['http.request.resend_count'] = target.resendCount;
  const span = tandemTracer(SCOPE).startSpan(`${method} ${target.route}`, { kind: SpanKind.CLIENT, attributes }, parent);
  const spanContext = trace.setSpan(parent, span);
  return {
    span,
    inject: (headers) => propagation.inject(spanContext, headers),
    end: (status, error) => {
      if (span.isRecording()) {
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        // Client spans are errors for any 4xx or 5xx, and for failures without an answer.
        if (error !== undefined) recordSpanError(span, error);
        if (status !== undefined && status >= 400) span.setAttribute('error.type', String(status));
      }
      span.end();
    },
  };
}
