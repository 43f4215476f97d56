import type { IncomingMessage, ServerResponse } from 'node:http';
import { InternalError, ShuttingDownError, type Logger } from '@tandem/core';
import { recordServerError } from './http-tracing.js';
import { NOT_RUN_HEADER, PROBLEM_CONTENT_TYPE, toProblem, type Problem } from './problem.js';

/**
 * Answers `error` as a problem. Never throws: it is the last step of every answer, often
 * called from a promise reaction where a throw would be an unhandled rejection. What it
 * cannot write ends the connection instead.
 */
export function replyWithProblem(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  error: unknown,
  log: Logger,
  maxDetailsBytes?: number,
): void {
  try {
    writeProblem(req, res, path, error, log, maxDetailsBytes);
  } catch {
    res.destroy();
  }
}

function writeProblem(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  error: unknown,
  log: Logger,
  maxDetailsBytes?: number,
): void {
  let problem: Problem;
  let json: string;
  try {
    problem = toProblem(error, path, maxDetailsBytes);
    json = JSON.stringify(problem);
  } catch (encoding) {
    // Details JSON cannot encode (a BigInt, a cycle) are the handler's bug, as a result would be: 500.
    error = new InternalError(`the error's details could not be encoded as JSON`, { cause: encoding });
    problem = toProblem(undefined, path);
    json = JSON.stringify(problem);
  }
  recordServerError(req, error, problem.status);
  // A refusal while stopping is expected, and may come once per request: one line, no stack.
  if (error instanceof ShuttingDownError)
    log.warn({ method: req.method, path, code: problem.code }, 'request refused: the service is shutting down');
  else if (problem.status >= 500) log.error({ err: error, method: req.method, path }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A refused body may still be arriving: close the connection after answering, and
  // discard the rest instead of buffering it.
  if (!req.complete) res.setHeader('connection', 'close');
  // An open circuit (and any error that knows) says when a retry may succeed.
  if (typeof problem.retryAfterSeconds === 'number' && !res.hasHeader('retry-after'))
    res.setHeader('retry-after', String(problem.retryAfterSeconds));
  res
    .writeHead(problem.status, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(json) })
    .end(json);
  if (!req.complete) req.resume();
}

/**
 * The server refuses a request before any handler code runs, and marks the answer so
 * (NOT_RUN_HEADER): a client may send it to another instance. Only the server's own
 * checks use this; an error that comes out of a run never carries the mark.
 */
export function refusal(res: ServerResponse, message: string, stopping: boolean): ShuttingDownError {
  if (stopping) {
    res.setHeader('connection', 'close');
    res.setHeader('retry-after', '1');
  }
  res.setHeader(NOT_RUN_HEADER, '1');
  return new ShuttingDownError(message);
}
