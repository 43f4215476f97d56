import type { ServerResponse } from 'node:http';

/** An RFC 9457 problem answer, in the shape the apps' own errors have (`code`, `detail`). */
export function sendProblem(
  res: ServerResponse,
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
): void {
  const body = JSON.stringify({ type: 'about:blank', title: titleOf(status), status, code, detail, ...extra });
  res
    .writeHead(status, {
      'content-type': 'application/problem+json',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
    .end(body);
}

function titleOf(status: number): string {
  return { 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 502: 'Bad Gateway' }[status] ?? 'Error';
}
