import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthReport, SyncHost } from '@tandem/core';

/** The health routes, below the server's base path. */
export const LIVE = '/health/live';
export const READY = '/health/ready';

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

/**
 * Answers `/health/live` or `/health/ready`: 503 `starting` before the app is attached,
 * else the report's liveness or readiness with the checks the caller may see.
 */
export async function answerHealth(
  host: SyncHost | undefined,
  exposure: HealthChecksExposure,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!host) {
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"starting"}');
    return;
  }
  const report = await host.health();
  const ok = path.endsWith(LIVE) ? report.live : report.ready;
  const body = await healthBody(report, ok, exposure, { path, headers: req.headers });
  if (res.writableEnded) return;
  res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
}
