/**
 * HTTP spans after the OpenTelemetry HTTP semantic conventions, for any HTTP adapter:
 * SERVER spans (trace context extracted from the request headers) and CLIENT spans
 * (context injected into the request headers). Plain data in, so core needs no HTTP stack.
 */
import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { errorType, recordSpanError } from './span-errors.js';
import { activeTracer } from './tracer.js';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

function methodOf(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/** What the HTTP server span is made from: method, route, peer. */
export interface HttpServerRequestInfo {
  method: string;
  /** The route template (`/orders/:id`). */
  route: string;
  /** The path as requested, without the query string. */
  path: string;
  scheme: 'http' | 'https';
  /** Request headers (lower-case names), where the caller's trace context is read from. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
  clientAddress?: string | undefined;
  protocolVersion?: string | undefined;
  userAgent?: string | undefined;
}

/** The span of one HTTP request served. */
export interface HttpServerSpan {
  /** The context to run the handler in: the span is active there. */
  readonly context: Context;
  /** False when the sampler dropped this trace: there is nothing to end or record. */
  readonly recording: boolean;
  /** Records the error a request failed with: the span's error for a 5xx, `error.type` only for a 4xx. */
  fail(error: unknown, status: number): void;
  end(status: number, aborted?: boolean): void;
}

/** Starts the SERVER span of a request; undefined while no tracing SDK is registered. */
export function startHttpServerSpan(scope: string, info: HttpServerRequestInfo): HttpServerSpan | undefined {
  const tracer = activeTracer(scope);
  if (!tracer) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, info.headers);
  const method = methodOf(info.method);
  const attributes: Attributes = {
    'http.request.method': method,
    'http.route': info.route,
    'url.path': info.path,
    'url.scheme': info.scheme,
  };
  if (info.serverAddress !== undefined) attributes['server.address'] = info.serverAddress;
  if (info.serverPort !== undefined) attributes['server.port'] = info.serverPort;
  if (info.clientAddress !== undefined) attributes['client.address'] = info.clientAddress;
  if (info.protocolVersion !== undefined) attributes['network.protocol.version'] = info.protocolVersion;
  if (info.userAgent !== undefined) attributes['user_agent.original'] = info.userAgent;
  const span = tracer.startSpan(`${method} ${info.route}`, { kind: SpanKind.SERVER, attributes }, parent);
  return new ServerSpan(span, trace.setSpan(parent, span));
}

/** A class rather than an object of closures: one allocation per request. */
class ServerSpan implements HttpServerSpan {
  readonly recording: boolean;

  constructor(
    private readonly span: Span,
    readonly context: Context,
  ) {
    this.recording = span.isRecording();
  }

  fail(error: unknown, status: number): void {
    if (status >= 500) recordSpanError(this.span, error);
    else this.span.setAttribute('error.type', errorType(error));
  }

  end(status: number, aborted = false): void {
    const span = this.span;
    span.setAttribute('http.response.status_code', status);
    // Server spans are errors for 5xx only: a 4xx is the caller's mistake, not the server's.
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (aborted) span.setAttribute('error.type', 'response_aborted');
    span.end();
  }
}

/** What the HTTP client span is made from: method, URL, contract. */
export interface HttpClientRequestInfo {
  method: string;
  /** The route template, e.g. `/queries/orders.get` or `/orders/:id`. */
  route: string;
  /** The service's base URL, and the request's path with query string. */
  origin: URL;
  path: string;
  /** 0 for the first try; retries carry `http.request.resend_count`. */
  resendCount: number;
  /** The caller's context; the active one when absent. */
  parent?: Context | undefined;
  /** Extra attributes (Tandem's contract name). */
  attributes?: Attributes;
}

/** The span of one HTTP call made. */
export interface HttpClientSpan {
  readonly span: Span;
  /** Writes this span's trace context into the request headers. */
  inject(headers: Record<string, string>): void;
  /** `status` is the answer's, undefined when none came; client spans are errors for any 4xx/5xx or failure. */
  end(status: number | undefined, error?: unknown): void;
}

const NO_CLIENT_SPAN: HttpClientSpan = {
  span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
  inject: () => undefined,
  end: () => undefined,
};

/** Starts the CLIENT span of one HTTP request (one per attempt); a no-op while no tracing SDK is registered. */
export function startHttpClientSpan(scope: string, info: HttpClientRequestInfo): HttpClientSpan {
  const tracer = activeTracer(scope);
  if (!tracer) return NO_CLIENT_SPAN;
  const parent = info.parent ?? context.active();
  const method = methodOf(info.method);
  const attributes: Attributes = {
    ...info.attributes,
    'http.request.method': method,
    'server.address': info.origin.hostname,
    'server.port': Number(info.origin.port || (info.origin.protocol === 'https:' ? 443 : 80)),
    'url.full': info.origin.origin + info.path,
    'url.template': info.route,
  };
  if (info.resendCount > 0) attributes['http.request.resend_count'] = info.resendCount;
  const span = tracer.startSpan(`${method} ${info.route}`, { kind: SpanKind.CLIENT, attributes }, parent);
  const spanContext = trace.setSpan(parent, span);
  return {
    span,
    inject: (headers) => propagation.inject(spanContext, headers),
    end: (status, error) => {
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      if (error !== undefined) recordSpanError(span, error);
      if (status !== undefined && status >= 400) span.setAttribute('error.type', String(status));
      span.end();
    },
  };
}
