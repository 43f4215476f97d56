import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createApp, ForbiddenError, silentLogger, type App } from '@tandem/core';
import { httpServer, type HttpMount, type MountRequest } from '../src/index.js';
import { ordersService } from './fixtures.js';

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

/** A mount that answers what it was handed, and records when the server closed it. */
function echo(prefix: string, closed: string[]): HttpMount {
  return {
    prefix,
    handle(_req, res, request: MountRequest) {
      if (request.path === '/forbidden') throw new ForbiddenError('not for you');
      const body = JSON.stringify({
        prefix,
        path: request.path,
        q: request.query.get('q'),
        app: request.host?.app === app,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    },
    close: () => closed.push(prefix),
  };
}

async function start(mounts: HttpMount[], basePath = ''): Promise<string> {
  const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger, basePath, mounts });
  app = createApp({ services: [ordersService()], http: server, logger: silentLogger });
  await app.start();
  return server.url!;
}

describe('httpServer mounts', () => {
  it('hand requests under a prefix to the mount, with the path below it, its query and the app', async () => {
    const closed: string[] = [];
    const url = await start([echo('/_tandem', closed), echo('/_tandem/api', closed)], '/svc');
    const res = await request(`${url}/_tandem/api/model?q=1`);
    expect(await res.body.json()).toEqual({ prefix: '/_tandem/api', path: '/model', q: '1', app: true });
    const root = await request(`${url}/_tandem`);
    expect(await root.body.json()).toMatchObject({ prefix: '/_tandem', path: '' });
    // A prefix matches whole segments only.
    const other = await request(`${url}/_tandemx`);
    expect(other.statusCode).toBe(404);
    await other.body.dump();
    // The app's own routes are still served.
    const placed = await request(`${url}/commands/orders.place`, {
      method: 'POST',
      body: JSON.stringify({ sku: 'a', qty: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(placed.statusCode).toBeLessThan(500);
    await placed.body.dump();
  });

  it("answer a mount's error as a problem, and close the mounts when the app stops", async () => {
    const closed: string[] = [];
    const url = await start([echo('/_tandem/api', closed)]);
    const res = await request(`${url}/_tandem/api/forbidden`);
    expect(res.statusCode).toBe(403);
    expect(((await res.body.json()) as { code: string }).code).toBe('TANDEM_FORBIDDEN');
    await app!.stop();
    app = undefined;
    expect(closed).toContain('/_tandem/api');
  });

  it('refuse a prefix that does not start with a slash or ends with one', () => {
    expect(() => httpServer({ mounts: [echo('_tandem', [])] })).toThrow(
      expect.objectContaining({ code: 'TANDEM_CONFIG' }),
    );
    expect(() => httpServer({ mounts: [echo('/_tandem/', [])] })).toThrow(
      expect.objectContaining({ code: 'TANDEM_CONFIG' }),
    );
  });
});
