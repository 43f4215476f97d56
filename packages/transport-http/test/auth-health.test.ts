import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { UnauthorizedError, type App, type HealthReport } from '@tandem/core';
import type { HealthRequest, HttpServerOptions } from '../src/index.js';
import { startApp } from './fixtures.js';

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function start(options: HttpServerOptions): Promise<string> {
  const started = await startApp(options);
  app = started.app;
  return started.url;
}

const requireToken = ({ headers }: { headers: HealthRequest['headers'] }) => {
  if (headers.authorization !== 'Bearer ops') throw new UnauthorizedError('send Authorization: Bearer <token>');
  return 'ops';
};

const place = (url: string, headers: Record<string, string> = {}) =>
  request(`${url}/commands/orders.place`, {
    method: 'POST',
    body: JSON.stringify({ sku: 'a', qty: 1 }),
    headers: { 'content-type': 'application/json', ...headers },
  });

async function health(url: string, path: string, headers: Record<string, string> = {}) {
  const res = await request(`${url}${path}`, { headers });
  return { status: res.statusCode, body: (await res.body.json()) as Partial<HealthReport> & { status: string } };
}

describe('401 answers', () => {
  it('carry WWW-Authenticate: Bearer by default (RFC 9110)', async () => {
    const url = await start({ auth: requireToken });
    const res = await place(url);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    await res.body.dump();
    const ok = await place(url, { authorization: 'Bearer ops' });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['www-authenticate']).toBeUndefined();
    await ok.body.dump();
  });

  it('carry the configured challenge', async () => {
    const url = await start({ auth: requireToken, authChallenge: 'Bearer realm="shop"' });
    const res = await place(url);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="shop"');
    await res.body.dump();
  });
});

describe('health exposure', () => {
  it('with an auth hook, unauthenticated callers see the status of /health/ready and /health/live, not the checks', async () => {
    const url = await start({ auth: requireToken });
    for (const path of ['/health/ready', '/health/live']) {
      const { status, body } = await health(url, path);
      expect(status, path).toBe(200);
      expect(body, path).toEqual({ status: 'ok' });
    }
  });

  it("healthChecks as a function shows the checks to the callers it accepts, e.g. the auth hook's", async () => {
    const url = await start({
      auth: requireToken,
      healthChecks: (request) => requireToken(request) !== undefined,
    });
    const anonymous = await health(url, '/health/ready');
    expect(anonymous.body).toEqual({ status: 'ok' });
    const ops = await health(url, '/health/ready', { authorization: 'Bearer ops' });
    expect(ops.status).toBe(200);
    expect(ops.body).toMatchObject({ status: 'ok', checks: { runtime: { ok: true }, broker: expect.any(Object) } });
  });

  it("'hidden' hides the checks from everyone, and 'public' shows them to everyone", async () => {
    const hiddenUrl = await start({ healthChecks: 'hidden' });
    expect((await health(hiddenUrl, '/health/ready')).body).toEqual({ status: 'ok' });
    await app?.stop();
    const publicUrl = await start({ auth: requireToken, healthChecks: 'public' });
    expect((await health(publicUrl, '/health/ready')).body).toMatchObject({ status: 'ok', checks: expect.any(Object) });
  });
});
