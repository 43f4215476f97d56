import type { IncomingMessage } from 'node:http';
import type { HealthReport } from '@tandem/core';

/** What a health request carries for `healthChecks` to decide on. */
export interface HealthRequest {
  path: string;
  headers: IncomingMessage['headers'];
}

/**
 * Who sees the `checks` of `/health/live` and `/health/ready`: each check's name, state and
 * detail (which broker is down, and how). The status code and `status` are always answered,
 * so load balancers and orchestrators probe without credentials.
 *
 * - `'public'`: everyone.
 * - `'hidden'`: no one over HTTP (read them from logs, metrics or `app.health()`).
 * - a function: the callers it returns true for, e.g. those whose token the auth hook accepts.
 */
export type HealthChecksExposure = 'public' | 'hidden' | ((request: HealthRequest) => boolean | Promise<boolean>);

/** The body of a health answer: the status, with the checks when the caller may see them. */
export async function healthBody(
  report: HealthReport,
  ok: boolean,
  exposure: HealthChecksExposure,
  request: HealthRequest,
): Promise<string> {
  const status = ok ? 'ok' : 'unavailable';
  let shown = exposure === 'public';
  if (typeof exposure === 'function') {
    try {
      shown = (await exposure(request)) === true;
    } catch {
      // A caller the check refuses (it may throw UnauthorizedError as an auth hook does) sees the status only.
      shown = false;
    }
  }
  return JSON.stringify(shown ? { status, checks: report.checks } : { status });
}
