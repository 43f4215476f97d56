import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ForbiddenError } from '@tandem/core';
import type { ResolvedConsoleOptions } from './options.js';

/** The header a state-changing request carries its CSRF token in. */
export const CSRF_HEADER = 'x-tandem-csrf';

function isLoopback(address: string | undefined): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address ?? '');
}

/**
 * Whether the request names this machine in its Host header. Without it, a page whose own
 * name resolves to 127.0.0.1 (DNS rebinding) would be same-origin with the API in a browser
 * on this machine, and pass the loopback check.
 */
function namesLoopback(host: string | undefined): boolean {
  const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * Who may use the console API, and the checks on requests that change state: a CSRF
 * token (a per-process secret, handed out by `GET /csrf` to callers that pass
 * `authorize`, which a page of another origin cannot read), and no cross-site origin.
 */
export class Guard {
  private readonly token = randomBytes(32).toString('base64url');

  constructor(private readonly options: Pick<ResolvedConsoleOptions, 'authorize'>) {}

  async admit(req: IncomingMessage): Promise<void> {
    const hook = this.options.authorize;
    const allowed = hook ? await hook(req) : isLoopback(req.socket.remoteAddress) && namesLoopback(req.headers.host);
    if (!allowed)
      throw new ForbiddenError(
        'the console API answers only requests its authorize hook allows (by default, from this machine, to localhost or a loopback address)',
      );
  }

  csrfToken(): string {
    return this.token;
  }

  /** A POST's checks: same origin, and the token. */
  checkChange(req: IncomingMessage): void {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      throw new ForbiddenError(`the console API refuses state changes from another site (Sec-Fetch-Site: ${site})`, {
        details: { check: 'origin' },
      });
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host))
      throw new ForbiddenError('the console API refuses state changes from another origin', {
        details: { check: 'origin' },
      });
    const sent = req.headers[CSRF_HEADER];
    const given = Buffer.from(typeof sent === 'string' ? sent : '');
    const expected = Buffer.from(this.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new ForbiddenError(
        `the console API needs the CSRF token from GET csrf in the ${CSRF_HEADER} header of every state change`,
        { details: { check: 'csrf' } },
      );
  }
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
