/**
 * Errors as RFC 9457 problem details. One table maps each error code to an HTTP status
 * and a problem type; the client reads `code` back into the same typed error. Stack
 * traces never leave the process, and unknown errors say nothing about their internals.
 */
import {
  boundedJson,
  errorClassesByCode,
  InternalError,
  isTandemError,
  type TandemError,
  UnavailableError,
} from '@tandem/core';

/** The content type of error answers (RFC 9457 problem details). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * On a 503, set by the server only where it refuses a request before any handler code
 * runs (not started, stopping). A client may send such a call to another instance without
 * an idempotency key; an error code alone cannot promise that, since a handler can throw
 * any error, ShuttingDownError included, after doing work.
 */
export const NOT_RUN_HEADER = 'tandem-not-run';

const statusByCode: Record<string, number> = {
  TANDEM_VALIDATION: 400,
  TANDEM_UNSUPPORTED_VERSION: 400,
  TANDEM_MALFORMED_REQUEST: 400,
  TANDEM_MALFORMED_MESSAGE: 400,
  TANDEM_UNAUTHORIZED: 401,
  TANDEM_FORBIDDEN: 403,
  TANDEM_NOT_FOUND: 404,
  TANDEM_ROUTE_NOT_FOUND: 404,
  TANDEM_METHOD_NOT_ALLOWED: 405,
  TANDEM_CONFLICT: 409,
  TANDEM_IDEMPOTENCY_IN_FLIGHT: 409,
  TANDEM_IDEMPOTENCY_RESULT_NOT_STORED: 409,
  TANDEM_PAYLOAD_TOO_LARGE: 413,
  TANDEM_UNSUPPORTED_MEDIA_TYPE: 415,
  TANDEM_IDEMPOTENCY_MISMATCH: 422,
  TANDEM_NON_RETRYABLE: 422,
  TANDEM_INTERNAL: 500,
  TANDEM_CONFIG: 500,
  TANDEM_REGISTRATION: 500,
  TANDEM_SHUTTING_DOWN: 503,
  TANDEM_ABORTED: 503,
  TANDEM_UNAVAILABLE: 503,
  TANDEM_CIRCUIT_OPEN: 503,
  TANDEM_BROKER: 503,
  TANDEM_TIMEOUT: 504,
};

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** `urn:tandem:problem:validation` for TANDEM_VALIDATION, and so on. */
export function problemType(code: string): string {
  return `urn:tandem:problem:${code
    .replace(/^TANDEM_/, '')
    .toLowerCase()
    .replace(/_/g, '-')}`;
}

/** The HTTP status an error is answered with. */
export function statusOf(error: unknown): number {
  return isTandemError(error) ? (statusByCode[error.code] ?? 500) : 500;
}

/** An error answer's body (RFC 9457 problem details) with Tandem's code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  /** The error's details whose names are taken by the members above (or are `details`). */
  details?: Record<string, unknown>;
  [extension: string]: unknown;
}

/** Members the server always writes itself; a detail by one of these names goes under `details`. */
const RESERVED = new Set(['type', 'title', 'status', 'detail', 'code', 'instance', 'details']);

/** Bytes of JSON an error's details and message may take in a problem. */
export const DEFAULT_MAX_PROBLEM_DETAILS_BYTES = 16 * 1024;

/**
 * `maxDetailsBytes` bounds what an error adds to the problem: its message is cut to it, and
 * details whose JSON is longer (a cycle and nesting deeper than the stack included: an echo
 * of the input may be either) are left out, with `details.omitted` saying so, rather than
 * failing the answer. Details JSON refuses (a BigInt) still throw, as a result would.
 */
export function toProblem(
  error: unknown,
  instance?: string,
  maxDetailsBytes = DEFAULT_MAX_PROBLEM_DETAILS_BYTES,
): Problem {
  const known: TandemError = isTandemError(error) ? error : new InternalError('internal error');
  const status = statusByCode[known.code] ?? 500;
  // A 500 from an unknown error says nothing about it; the server logs the real one.
  const detail = isTandemError(error) ? cut(error.message, maxDetailsBytes) : 'internal error';
  const problem: Problem = {
    type: problemType(known.code),
    title: titles[status] ?? 'Error',
    status,
    detail,
    code: known.code,
  };
  if (instance !== undefined) problem.instance = instance;
  let nested: Record<string, unknown> | undefined;
  const details = known.details ?? {};
  // Characters count at least one byte each; a text within the limit is measured in bytes.
  const json = boundedJson(details, maxDetailsBytes);
  if (json === undefined || Buffer.byteLength(json) > maxDetailsBytes) {
    problem.details = {
      omitted: `the error's details were larger than ${maxDetailsBytes} bytes of JSON (maxProblemDetailsBytes)`,
    };
    return problem;
  }
  for (const [name, value] of Object.entries(details)) {
    if (RESERVED.has(name)) put((nested ??= {}), name, value);
    else put(problem, name, value);
  }
  if (nested) problem.details = nested;
  return problem;
}

/** `text` cut to at most `max` UTF-16 code units, its end marked. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Defines rather than assigns, so a detail named `__proto__` stays a member. */
function put(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Rebuilds the typed error a server sent, its details being the extension members and
 * those nested under `details`; a non-problem error status becomes UnavailableError or
 * InternalError.
 */
export function fromProblem(status: number, body: unknown, where: string): TandemError {
  if (isRecord(body) && typeof body.code === 'string') {
    const { type: _t, title: _ti, status: _s, detail, code, instance: _i, details: nested, ...rest } = body;
    // Spread, not Object.assign: a `__proto__` member stays a plain property.
    const details = isRecord(nested)
      ? { ...rest, ...nested }
      : nested === undefined
        ? rest
        : { ...rest, details: nested };
    const message = typeof detail === 'string' ? detail : `${where} failed with ${code}`;
    const Cls = errorClassesByCode.get(code);
    if (Cls) return new Cls(message, { details });
    return Object.assign(new InternalError(message, { details }), { code });
  }
  if (status >= 500) return new UnavailableError(`${where} answered HTTP ${status}`);
  return new InternalError(`${where} answered HTTP ${status} without problem details`);
}
