import type { Dispatcher } from 'undici';
import {
  AbortedError,
  CallHeader,
  InternalError,
  isTandemError,
  TimeoutError,
  UnavailableError,
  type SyncContract,
  type TraceContext,
} from '@tandem/core';
import { CallAbort, exchange, type Answer } from './call-exchange.js';
import { fromProblem } from './problem.js';

/**
 * Why a request failed on the downstream's side: no answer in time, no connection, or a
 * 5xx answer. Only faults count against a circuit breaker and only some are retried; a
 * 4xx answer or a caller's own abort is not a fault.
 */
export interface Fault {
  kind: 'timeout' | 'connection' | 'status';
  status?: number;
  /** From a Retry-After header on the answer. */
  retryAfterMs?: number;
  /**
   * The instance certainly ran no handler for this request: no connection was made, or a
   * Tandem server refused it before any handler code (its 503 carries NOT_RUN_HEADER).
   * Only such a call may go to another instance without an idempotency key.
   */
  notRun?: boolean;
  /**
   * The instance is up or down but not taking calls now: nothing listens on its port, or
   * it says it has not started or is stopping. Checking again costs next to nothing, so
   * the breaker and passive health back off only briefly after it.
   */
  refused?: boolean;
}

const faults = new WeakMap<object, Fault>();
const statuses = new WeakMap<object, number>();

export function faultOf(error: unknown): Fault | undefined {
  return typeof error === 'object' && error !== null ? faults.get(error) : undefined;
}

/** The HTTP status of the answer an error was read from, if there was one. */
export function httpStatusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? statuses.get(error) : undefined;
}

/** Marks `error` as a fault of the downstream. */
export function fault<E extends Error>(error: E, f: Fault): E {
  faults.set(error, f);
  return error;
}

export interface PreparedRequest {
  method: string;
  /** Path with base path and query string. */
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Absolute deadline (epoch ms). */
  deadline: number;
  /** The caller's own cancellation; not a fault of the downstream. */
  signal: AbortSignal | undefined;
  /** The caller's trace context, parent of the client spans. */
  trace: TraceContext | undefined;
  /** `POST orders/commands/orders.place`, for error messages. */
  where: string;
}

export interface SendResult {
  status: number;
  output: unknown;
}

function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Sends one request and reads the answer into the contract's output or a typed error. */
export async function sendOnce(
  dispatcher: Dispatcher,
  contract: SyncContract,
  req: PreparedRequest,
): Promise<SendResult> {
  const remaining = req.deadline - Date.now();
  // The caller used up its own time: nothing was sent, so nothing is the downstream's fault.
  if (remaining <= 0) throw new TimeoutError(`${req.where}: the deadline passed before the call was sent`);
  // A timer cleared with the answer, rather than AbortSignal.timeout() (whose timer stays
  // armed until the deadline, so a busy client carries one per call made in the last
  // `timeoutMs`) and AbortSignal.any() (listeners on both signals).
  const abort = new CallAbort(req.signal, req.deadline);
  // The callee gets the time left as its own deadline (ctx.signal aborts at it), minus a
  // little headroom so that its timeout answer arrives before this side gives up.
  req.headers[CallHeader.timeout] = String(Math.max(1, remaining - Math.min(10, Math.floor(remaining / 10))));

  let answer: Answer;
  try {
    answer = await exchange(
      dispatcher,
      { method: req.method as Dispatcher.HttpMethod, path: req.path, headers: req.headers, body: req.body },
      abort,
    );
  } catch (error) {
    throw transportError(error, req.where, abort, req.signal);
  } finally {
    abort.done();
  }
  const { status, text } = answer;
  const serverFault = status >= 500 ? statusFault(answer) : undefined;
  if (status === 204) return { status, output: undefined };
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    if (serverFault)
      throw answered(
        fault(new UnavailableError(`${req.where} answered HTTP ${status} with a body that is not JSON`), serverFault),
        status,
      );
    throw answered(new InternalError(`${req.where} answered with a body that is not JSON`), status);
  }
  if (status >= 400) {
    let error: Error = fromProblem(status, parsed, req.where);
    // Another service's refusal is not this caller's: passed on as its own ShuttingDownError,
    // it would tell the caller's callers that this instance refused the work before running it.
    if (isTandemError(error) && error.code === 'TANDEM_SHUTTING_DOWN')
      error = new UnavailableError(`${req.where}: ${error.message}`, { cause: error });
    throw answered(serverFault ? fault(error, serverFault) : error, status);
  }
  const output = contract.output.safeParse(parsed);
  if (!output.success)
    throw answered(
      new InternalError(`${req.where} answered with output that does not match '${contract.name}'`),
      status,
    );
  return { status, output: output.data };
}

/** Marks `error` as read from an answer with this HTTP status. */
export function answered<E extends Error>(error: E, status: number): E {
  statuses.set(error, status);
  return error;
}

function statusFault({ status, retryAfter, notRun }: Answer): Fault {
  const f: Fault = { kind: 'status', status };
  const after = retryAfterMs(retryAfter);
  if (after !== undefined) f.retryAfterMs = after;
  // Only the server's own refusal, made before any handler ran, carries the mark; a
  // handler's error (whatever its code) and a proxy's 503 do not.
  if (status === 503 && notRun) {
    f.notRun = true;
    f.refused = true;
  }
  return f;
}

/** Connection errors that mean the request never left this process. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function transportError(error: unknown, where: string, abort: CallAbort, caller: AbortSignal | undefined): Error {
  if (abort.timedOut)
    return fault(new TimeoutError(`${where}: no answer within the deadline`, { cause: error }), { kind: 'timeout' });
  if (abort.callerAborted) return callerAbortError(caller!.reason, where);
  const code = String((error as { code?: unknown }).code);
  const f: Fault = { kind: 'connection' };
  if (NEVER_SENT.has(code)) f.notRun = true;
  if (code === 'ECONNREFUSED') f.refused = true;
  return fault(new UnavailableError(`${where}: ${(error as Error).message}`, { cause: error }), f);
}

/**
 * The caller's own signal stopped the call: its deadline (TimeoutError), or anything else
 * (a forced shutdown, a client gone) as AbortedError, since the request may have run. Never
 * a fault of the downstream, so neither the breaker, passive health nor retries see it.
 */
export function callerAbortError(reason: unknown, where: string): Error {
  const name = (reason as { name?: unknown } | undefined)?.name;
  const code = (reason as { code?: unknown } | undefined)?.code;
  if (code === 'TANDEM_TIMEOUT' || name === 'TimeoutError')
    return new TimeoutError(`${where}: the caller's deadline passed before the answer came`, { cause: reason });
  return new AbortedError(`${where}: the caller aborted the call; it may have run`, { cause: reason });
}
