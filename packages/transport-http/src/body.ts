import type { IncomingMessage } from 'node:http';
import { MalformedRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '@tandem/core';

/** Called once with the parsed body (undefined when empty), or with the error that refused it. */
export type BodyCallback = (error: unknown, body?: unknown) => void;

/**
 * Reads a JSON request body, refusing more than `limit` bytes as soon as the declared or
 * received size passes it (the rest is not buffered), and anything that is not JSON.
 *
 * Events and a callback rather than `for await` or a promise: this is on the path of every
 * command, the async iterator costs a promise and a tick per chunk, and every promise
 * costs again in apps whose tracing SDK keeps context with async hooks. After `done` the
 * request emits nothing more that matters here, so the listeners need no removal.
 */
export function readJsonBody(req: IncomingMessage, limit: number, done: BodyCallback): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    done(
      new PayloadTooLargeError(`request body of ${declared} bytes exceeds the limit of ${limit} bytes`, {
        details: { limit },
      }),
    );
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  req.on('data', (chunk: Buffer) => {
    if (settled) return;
    size += chunk.length;
    if (size > limit) {
      settled = true;
      done(new PayloadTooLargeError(`request body exceeds the limit of ${limit} bytes`, { details: { limit } }));
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (settled) return;
    settled = true;
    let body: unknown;
    try {
      body = parseJson(req, chunks, size);
    } catch (error) {
      done(error);
      return;
    }
    done(undefined, body);
  });
  // Also how a client that disconnects mid-body shows up ('aborted', ECONNRESET).
  req.on('error', (error) => {
    if (settled) return;
    settled = true;
    done(new MalformedRequestError(`request body could not be read: ${error.message}`, { cause: error }));
  });
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
