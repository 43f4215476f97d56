/**
 * Errors as RFC 9457 problem details. One table maps each error code to an HTTP status
 * and a problem type; the client reads `code` back into the same typed error. Stack
 * traces never leave the process, and unknown errors say nothing about their internals.
 */
import { errorClassesByCode, InternalError, isTandemError, type TandemError, UnavailableError } from '@tandem/core';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const statusByCode: Record<string, number> = {
  TANDEM_VALIDATION: 400,
  TANDEM_MALFORMED_REQUEST: 400,
  TANDEM_MALFORMED_MESSAGE: 400,
  TANDEM_UNAUTHORIZED: 401,
  TANDEM_FORBIDDEN: 403,
  TANDEM_NOT_FOUND: 404,
  TANDEM_ROUTE_NOT_FOUND: 404,
  TANDEM_METHOD_NOT_ALLOWED: 405,
  TANDEM_CONFLICT: 409,
  TANDEM_IDEMPOTENCY_IN_FLIGHT: 409,
  TANDEM_PAYLOAD_TOO_LARGE: 413,
  TANDEM_UNSUPPORTED_MEDIA_TYPE: 415,
  TANDEM_IDEMPOTENCY_MISMATCH: 422,
  TANDEM_NON_RETRYABLE: 422,
  TANDEM_INTERNAL: 500,
  TANDEM_CONFIG: 500,
  TANDEM_REGISTRATION: 500,
  TANDEM_SHUTTING_DOWN: 503,
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

export function statusOf(error: unknown): number {
  return isTandemError(error) ? (statusByCode[error.code] ?? 500) : 500;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  [extension: string]: unknown;
}

export function toProblem(error: unknown, instance?: string): Problem {
  const known: TandemError = isTandemError(error) ? error : new InternalError('internal error');
  const status = statusByCode[known.code] ?? 500;
  // A 500 from an unknown error says nothing about it; the server logs the real one.
  const detail = isTandemError(error) ? error.message : 'internal error';
  return {
    type: problemType(known.code),
    title: titles[status] ?? 'Error',
    status,
    detail,
    code: known.code,
    ...(instance !== undefined ? { instance } : {}),
    ...(known.details ?? {}),
  };
}

/** Rebuilds the typed error a server sent; a non-problem error status becomes UnavailableError or InternalError. */
export function fromProblem(status: number, body: unknown, where: string): TandemError {
  const problem = body as Partial<Problem> | undefined;
  if (problem && typeof problem.code === 'string') {
    const Cls = errorClassesByCode.get(problem.code);
    const { type: _t, title: _ti, status: _s, detail, code, instance: _i, ...details } = problem;
    const message = typeof detail === 'string' ? detail : `${where} failed with ${code}`;
    if (Cls) return new Cls(message, { details });
    return Object.assign(new InternalError(message, { details }), { code });
  }
  if (status >= 500) return new UnavailableError(`${where} answered HTTP ${status}`);
  return new InternalError(`${where} answered HTTP ${status} without problem details`);
}
