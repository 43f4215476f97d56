import { errors as undiciErrors, type Dispatcher } from 'undici';
import {
  CallHeader,
  InternalError,
  TimeoutError,
  UnavailableError,
  type SyncContract,
  type TraceContext,
} from '@tandem/core';
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

function fault<E extends Error>(error: E, f: Fault): E {
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

function retryAfterMs(headers: Dispatcher.ResponseData['headers']): number | undefined {
  const value = headers['retry-after'];
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The abort signal of one call: the caller's own signal, or the call's deadline, whichever comes first. */
class CallAbort {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  timedOut = false;

  constructor(
    private readonly caller: AbortSignal | undefined,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new DOMException('the call reached its deadline', 'TimeoutError'));
    }, timeoutMs);
    if (caller) {
      if (caller.aborted) this.controller.abort(caller.reason);
      // Itself as the listener (handleEvent), so following the caller costs no closure.
      else caller.addEventListener('abort', this, { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.controller.abort(this.caller!.reason);
  }

  /** The answer is in (or the call failed): disarm the deadline and stop following the caller. */
  done(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this);
  }
}

/** Sends one request and reads the answer into the contract's output or a typed error. */
export async function sendOnce(
  dispatcher: Dispatcher,
  contract: SyncContract,
  req: PreparedRequest,
): Promise<SendResult> {
  const remaining = req.deadline - Date.now();
  if (remaining <= 0)
    throw fault(new TimeoutError(`${req.where}: the deadline passed before the call was sent`), { kind: 'timeout' });
  // One controller and a timer cleared with the answer, rather than AbortSignal.timeout()
  // (whose timer stays armed until the deadline, so a busy client carries one per call
  // made in the last `timeoutMs`) and AbortSignal.any() (listeners on both signals).
  const abort = new CallAbort(req.signal, remaining);
  // The callee gets the time left as its own deadline (ctx.signal aborts at it), minus a
  // little headroom so that its timeout answer arrives before this side gives up.
  req.headers[CallHeader.timeout] = String(Math.max(1, remaining - Math.min(10, Math.floor(remaining / 10))));

  let response: Dispatcher.ResponseData;
  let text: string;
  try {
    response = await dispatcher.request({
      method: req.method as Dispatcher.HttpMethod,
      path: req.path,
      headers: req.headers,
      body: req.body,
      signal: abort.signal,
    });
    text = await response.body.text();
  } catch (error) {
    throw transportError(error, req.where, abort.timedOut);
  } finally {
    abort.done();
  }
  const status = response.statusCode;
  const serverFault: Fault | undefined = status >= 500 ? { kind: 'status', status } : undefined;
  const after = serverFault ? retryAfterMs(response.headers) : undefined;
  if (serverFault && after !== undefined) serverFault.retryAfterMs = after;
  if (status === 204) return { status, output: undefined };
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    if (serverFault)
      throw fault(
        new UnavailableError(`${req.where} answered HTTP ${status} with a body that is not JSON`),
        serverFault,
      );
    throw new InternalError(`${req.where} answered with a body that is not JSON`);
  }
  if (status >= 400) {
    const error = fromProblem(status, parsed, req.where);
    statuses.set(error, status);
    throw serverFault ? fault(error, serverFault) : error;
  }
  const output = contract.output.safeParse(parsed);
  if (!output.success)
    throw new InternalError(`${req.where} answered with output that does not match '${contract.name}'`);
  return { status, output: output.data };
}

function transportError(error: unknown, where: string, timedOut: boolean): Error {
  if (timedOut)
    return fault(new TimeoutError(`${where}: no answer within the deadline`, { cause: error }), { kind: 'timeout' });
  if (error instanceof undiciErrors.RequestAbortedError || (error as { name?: string }).name === 'AbortError') {
    return new TimeoutError(`${where}: the call was aborted`, { cause: error });
  }
  return fault(new UnavailableError(`${where}: ${(error as Error).message}`, { cause: error }), { kind: 'connection' });
}
