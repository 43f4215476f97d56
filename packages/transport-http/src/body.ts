import type { IncomingMessage } from 'node:http';
import { MalformedRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '@tandem/core';
import { checkJsonShape, type JsonShapeLimits } from './json-shape.js';

/** What a request body may be: its size, and the shape of its JSON. */
export interface BodyLimits extends JsonShapeLimits {
  bodyLimit: number;
}

/** Told once of the parsed body (undefined when empty), or of the error that refused it. */
export interface BodySink {
  bodyRead(error: unknown, body?: unknown): void;
}

const kBodyRead = Symbol('tandem.bodyRead');

/**
 * One body being read: its chunks under the size limit, and the sink told once of the
 * outcome. Fed either by the request's own events (any node:http request) or directly by
 * ServerRequest, the request class of Tandem's own server.
 */
export class BodyRead {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  private readonly limit: number;

  constructor(
    private readonly limits: BodyLimits,
    private readonly sink: BodySink,
  ) {
    this.limit = limits.bodyLimit;
  }

  /** A chunk arrived; past the limit the sink is told once and later chunks are dropped. */
  add(chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.settled = true;
      this.sink.bodyRead(
        new PayloadTooLargeError(`request body exceeds the limit of ${this.limit} bytes`, {
          details: { limit: this.limit },
        }),
      );
      return;
    }
    this.chunks.push(chunk);
  }

  /** The body is complete: parse it and tell the sink. */
  end(req: IncomingMessage): void {
    if (this.settled) return;
    this.settled = true;
    let body: unknown;
    try {
      body = parseJson(req, this.chunks, this.size, this.limits);
    } catch (error) {
      this.sink.bodyRead(error);
      return;
    }
    this.sink.bodyRead(undefined, body);
  }

  /** The request broke off before its end (the client went away, a parse error). */
  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.sink.bodyRead(new MalformedRequestError(`request body could not be read: ${error.message}`, { cause: error }));
  }
}

/** Something that can feed a BodyRead itself, as Tandem's own server's requests do. */
export interface BodySource {
  collectBody(read: BodyRead): boolean;
}

type Reading = IncomingMessage & { [kBodyRead]: BodyRead };

/**
 * Reads a JSON request body, refusing more than `limit` bytes as soon as the declared or
 * received size passes it (the rest is not buffered), and anything that is not JSON.
 *
 * A request of Tandem's own server feeds the body in directly (see ServerRequest). Any
 * other request (the server mounted in express, fastify or node:http) is read through its
 * events: listeners rather than `for await` or a promise, because the async iterator costs
 * a promise and a tick per chunk and every promise costs again in apps whose tracing SDK
 * keeps context with async hooks. The listeners are module functions that find their state
 * on the request, so a request costs no closures. After the sink is told the request emits
 * nothing more that matters here, so the listeners need no removal.
 */
export function readJsonBody(req: IncomingMessage, limits: BodyLimits, sink: BodySink): void {
  const limit = limits.bodyLimit;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    sink.bodyRead(
      new PayloadTooLargeError(`request body of ${declared} bytes exceeds the limit of ${limit} bytes`, {
        details: { limit },
      }),
    );
    return;
  }
  const read = new BodyRead(limits, sink);
  if ((req as IncomingMessage & Partial<BodySource>).collectBody?.(read) === true) return;
  (req as Reading)[kBodyRead] = read;
  req.on('data', onData);
  req.on('end', onEnd);
  // Also how a client that disconnects mid-body shows up ('aborted', ECONNRESET).
  req.on('error', onError);
}

function onData(this: Reading, chunk: Buffer): void {
  this[kBodyRead].add(chunk);
}

function onEnd(this: Reading): void {
  this[kBodyRead].end(this);
}

function onError(this: Reading, error: Error): void {
  this[kBodyRead].fail(error);
}

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

function parseJson(req: IncomingMessage, chunks: Buffer[], size: number, limits: JsonShapeLimits): unknown {
  if (size === 0) return undefined;
  const type = req.headers['content-type'];
  if (type !== undefined && type !== 'application/json' && !JSON_TYPE.test(type)) {
    throw new UnsupportedMediaTypeError(`content type '${type}' is not supported; send application/json`);
  }
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  checkJsonShape(bytes, limits);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new MalformedRequestError(`request body is not valid JSON: ${(cause as Error).message}`);
  }
}

/** A query's input from the query string: `input=<JSON>`, or the flat parameters as strings. */
export function readQueryInput(search: string, limits: JsonShapeLimits): unknown {
  if (search === '') return {};
  const params = new URLSearchParams(search);
  const json = params.get('input');
  if (json !== null) {
    checkJsonShape(Buffer.from(json), limits);
    try {
      return JSON.parse(json);
    } catch (cause) {
      throw new MalformedRequestError(`query parameter 'input' is not valid JSON: ${(cause as Error).message}`);
    }
  }
  const input: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    input[key] = values.length === 1 ? values[0]! : values;
  }
  return input;
}
