import { afterEach, describe, expect, it } from 'vitest';
import { consolePage, CONSOLE_CSP, type ConsolePageOptions } from '../src/index.js';
import { rawGet, startBilling, type Started } from './fixtures.js';

let started: Started | undefined;
afterEach(async () => {
  await started?.app.stop();
  started = undefined;
});

async function start(page: ConsolePageOptions = {}) {
  started = await startBilling({}, [consolePage(page)]);
  return started.api.replace(/\/api$/, '');
}

describe('consolePage()', () => {
  it('serves the page, its script and style under a strict CSP, and points the page at the API', async () => {
    const page = await start();
    const html = await fetch(`${page}/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
    expect(html.headers.get('x-frame-options')).toBe('DENY');
    expect(await html.text()).toContain('<meta name="tandem-api" content="api" />');
    const js = await fetch(`${page}/console.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await js.text()).length).toBeGreaterThan(1000);
    expect((await fetch(`${page}/console.css`)).status).toBe(200);
    expect((await fetch(`${page}/nothing.js`)).status).toBe(404);
  });

  it('redirects the bare prefix to the page with its trailing slash', async () => {
    const page = await start();
    const res = await fetch(page, { redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('_tandem/');
  });

  it('tells the page where the API is when either is mounted elsewhere', async () => {
    started = await startBilling({}, [consolePage({ prefix: '/ops/console' })]);
    const base = started.api.replace(/\/_tandem\/api$/, '');
    expect(await (await fetch(`${base}/ops/console/`)).text()).toContain('content="../../_tandem/api"');
  });

  it('answers only what the API would: the same default access check and authorize hook', async () => {
    const page = await start();
    const port = Number(new URL(page).port);
    expect((await rawGet(port, '/_tandem/', 'evil.example')).status).toBe(403);
    expect((await rawGet(port, '/_tandem/', `localhost:${port}`)).status).toBe(200);
    await started!.app.stop();
    const closed = await start({ authorize: () => false });
    expect((await fetch(`${closed}/`)).status).toBe(403);
  });

  it('is off in production unless turned on, and then needs authorize', () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(consolePage().enabled).toBe(false);
      expect(() => consolePage({ enabled: true })).toThrow(/TANDEM_CONFIG|authorize/);
      expect(consolePage({ enabled: true, authorize: () => true }).enabled).toBe(true);
    } finally {
      process.env.NODE_ENV = before;
    }
  });
});
