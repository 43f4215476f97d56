import type { IncomingMessage } from 'node:http';
import { MalformedRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '@tandem/core';

/** Told once of the parsed body (undefined when empty), or of the error that refused it. */
export interface BodySink {
  bodyRead(error: unknown, body?: unknown): void;
}

const kBodyRead = Symbol('tandem.bodyRead');

/** The state of one body being read; on the request itself, for the shared listeners below. */
class BodyRead {
  readonly chunks: Buffer[] = [];
  size = 0;
  settled = false;

  constructor(
    readonly limit: number,
    readonly sink: BodySink,
  ) {}
}

type Reading = IncomingMessage & { [kBodyRead]: BodyRead };

/**
 * Reads a JSON request body, refusing more than `limit` bytes as soon as the declared or
 * received size passes it (the rest is not buffered), and anything that is not JSON.
 *
 * Events and a sink object rather than `for await` or a promise: this is on the path of
 * every command, the async iterator costs a promise and a tick per chunk, and every
 * promise costs again in apps whose tracing SDK keeps context with async hooks. The
 * listeners are module functions that find their state on the request, so a request
 * costs no closures. After the sink is told the request emits nothing more that matters
 * here, so the listeners need no removal.
 */
export function readJsonBody(req: IncomingMessage, limit: number, sink: BodySink): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    sink.bodyRead(
      new PayloadTooLargeError(`request body of ${declared} bytes exceeds the limit of ${limit} bytes`, {
        details: { limit },
      }),
    );
    return;
  }
  (req as Reading)[kBodyRead] = new BodyRead(limit, sink);
  req.on('data', onData);
  req.on('end', onEnd);
  // Also how a client that disconnects mid-body shows up ('aborted', ECONNRESET).
  req.on('error', onError);
}

function onData(this: Reading, chunk: Buffer): void {
  const read = this[kBodyRead];
  if (read.settled) return;
  read.size += chunk.length;
  if (read.size > read.limit) {
    read.settled = true;
    read.sink.bodyRead(
      new PayloadTooLargeError(`request body exceeds the limit of ${read.limit} bytes`, {
        details: { limit: read.limit },
      }),
    );
    return;
  }
  read.chunks.push(chunk);
}

function onEnd(this: Reading): void {
  const read = this[kBodyRead];
  if (read.settled) return;
  read.settled = true;
  let body: unknown;
  try {
    body = parseJson(this, read.chunks, read.size);
  } catch (error) {
    read.sink.bodyRead(error);
    return;
  }
  read.sink.bodyRead(undefined, body);
}

function onError(this: Reading, error: Error): void {
  const read = this[kBodyRead];
  if (read.settled) return;
  read.settled = true;
  read.sink.bodyRead(new MalformedRequestError(`request body could not be read: ${error.message}`, { cause: error }));
}

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

function parseJson(req: IncomingMessage, chunks: Buffer[], size: number): unknown {
  if (size === 0) return undefined;
  const type = req.headers['content-type'];
  if (type !== undefined && type !== 'application/json' && !JSON_TYPE.test(type)) {
    throw new UnsupportedMediaTypeError(`content type '${type}' is not supported; send application/json`);
  }
  const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new MalformedRequestError(`request body is not valid JSON: ${(cause as Error).message}`);
  }
}

/** A query's input from the query string: `input=<JSON>`, or the flat parameters as strings. */
export function readQueryInput(search: string): unknown {
  if (search === '') return {};
  const params = new URLSearchParams(search);
  const json = params.get('input');
  if (json !== null) {
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
