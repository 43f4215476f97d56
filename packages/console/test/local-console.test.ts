import { createServer } from 'node:net';
import type { ActivityHub } from '@tandem/core';
import type { App } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, CSRF_HEADER, startLocalConsole, type LocalConsole } from '../src/index.js';
import { getJson, Pay, rawGet, startBilling, startShipping, type Started } from './fixtures.js';

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const appUrl = (s: Started) => s.api.replace(/\/_tandem\/api$/, '');

let billing: Started | undefined;
let shipping: { app: App; url: string } | undefined;
let local: LocalConsole | undefined;
afterEach(async () => {
  await local?.close();
  await billing?.app.stop();
  await shipping?.app.stop();
  [billing, shipping, local] = [undefined, undefined, undefined];
});

async function startTwo(): Promise<{ base: string; billing: Started }> {
  billing = await startBilling();
  shipping = await startShipping();
  local = await startLocalConsole({ apps: [appUrl(billing), shipping.url], port: 0 });
  return { base: local.url, billing };
}

describe('the local console (tandem console)', () => {
  it('lists the apps by their services, with links to each one’s page, under the page’s CSP', async () => {
    const { base } = await startTwo();
    const res = await fetch(base);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    const html = await res.text();
    expect(html).toContain('<a href="apps/0/">billing</a>');
    expect(html).toContain('<a href="apps/1/">shipping</a>');
    expect(html).toContain(`<code>${shipping!.url}</code>`);
    expect(html).not.toMatch(/<script|\son\w+=|style=/i);
    expect(html.match(/>reachable</g)).toHaveLength(2);
    expect((await fetch(`${base}console.css`)).status).toBe(200);
  });

  it('serves the page under /apps/<n>/ with the API beside it, and redirects /apps/<n> there', async () => {
    const { base } = await startTwo();
    const page = await fetch(`${base}apps/1/`);
    expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    const html = await page.text();
    // The page calls the API relative to itself: /apps/1/ + api.
    expect(html).toContain('<meta name="tandem-api" content="api" />');
    // Its title names the app and links back to the list.
    expect(html).toContain(
      `<h1><a href="../../">Tandem console</a> <span class="muted">app 1: ${shipping!.url}</span></h1>`,
    );
    expect(html).not.toMatch(/<script(?! src="console.js" defer><\/script>)|\son\w+=|style=/i);
    expect((await fetch(`${base}apps/1/console.js`)).headers.get('content-type')).toMatch(/javascript/);
    const redirect = await fetch(`${base}apps/1`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([308, '1/']);
    expect((await fetch(`${base}apps/7/`)).status).toBe(404);
  });

  it('forwards an API GET to the app it names', async () => {
    const { base } = await startTwo();
    const first = await getJson<{ services: string[] }>(`${base}apps/0/api/model`);
    const second = await getJson<{ services: string[]; sync: { name: string }[] }>(`${base}apps/1/api/model`);
    expect([first.status, first.body.services]).toEqual([200, ['billing']]);
    expect([second.status, second.body.services]).toEqual([200, ['shipping']]);
    expect(second.body.sync.map((s) => s.name)).toEqual(['shipping.ship']);
    expect(second.headers.get('cache-control')).toBe('no-store');
  });

  it('replays a dead letter through the proxy with the app’s CSRF token, and refuses one from another origin', async () => {
    const { base, billing } = await startTwo();
    await billing.app.call(Pay, { orderId: 'o-1', fail: true });
    let id = '';
    await eventually('a dead letter listed through the proxy', async () => {
      const res = await getJson<{ groups: { deadLetters: { id: string }[] }[] }>(
        `${base}apps/0/api/dead-letters?group=ledger`,
      );
      id = res.body.groups[0]?.deadLetters[0]?.id ?? '';
      return id !== '';
    });
    const csrf = await getJson<{ token: string }>(`${base}apps/0/api/csrf`);
    const replay = `${base}apps/0/api/dead-letters/replay?group=ledger&id=${id}`;
    const foreign = await getJson<{ check: string }>(replay, {
      method: 'POST',
      headers: { [CSRF_HEADER]: csrf.body.token, origin: 'http://evil.example' },
    });
    expect([foreign.status, foreign.body.check]).toEqual([403, 'origin']);
    const noToken = await getJson<{ check: string }>(replay, { method: 'POST' });
    expect([noToken.status, noToken.body.check]).toEqual([403, 'csrf']);
    // What a browser on the page sends: its own origin, and the token.
    const replayed = await getJson(replay, {
      method: 'POST',
      headers: { [CSRF_HEADER]: csrf.body.token, origin: base.replace(/\/$/, ''), 'sec-fetch-site': 'same-origin' },
    });
    expect(replayed).toMatchObject({ status: 200, body: { group: 'ledger', replayed: 1, of: 1 } });
    await eventually('the replayed letter handled by the billing app', () => billing.handled.includes('o-1'));
  });

  it('passes the live stream through as it happens, and ends the app’s stream when the browser leaves', async () => {
    const { base, billing } = await startTwo();
    const hub = billing.app.activity as ActivityHub;
    const res = await fetch(`${base}apps/0/api/live`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const calls = billing.app.call(Pay, { orderId: 'o-live' });
    let text = '';
    while (!/event: activity\ndata: .*"kind":"handler"/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended early: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    await calls;
    expect(hub.listening).toBe(true);
    await reader.cancel();
    await eventually('the app’s live stream closed', () => !hub.listening);
  });

  it('answers 502 naming an app that does not answer, its credentials redacted, and keeps serving', async () => {
    billing = await startBilling();
    const dead = `http://ops:s3cret@127.0.0.1:${await closedPort()}`;
    local = await startLocalConsole({ apps: [dead, appUrl(billing)], port: 0 });
    const res = await getJson<{ code: string; detail: string; app: string }>(`${local.url}apps/0/api/model`);
    expect(res.status).toBe(502);
    expect(res.body.app).toMatch(/^http:\/\/\*\*\*@127\.0\.0\.1:\d+$/);
    expect(res.body.detail).toContain(`the app at ${res.body.app} did not answer`);
    expect(JSON.stringify(res.body)).not.toContain('s3cret');
    const index = await (await fetch(local.url)).text();
    expect(index).toContain('not reachable: ECONNREFUSED');
    expect(index).not.toMatch(/s3cret|ops:/);
    expect(local.apps[0]).not.toContain('s3cret');
    expect((await getJson(`${local.url}apps/1/api/model`)).status).toBe(200);
  });

  it('sends the credentials of an app URL as Basic authorization, for an app’s authorize hook', async () => {
    const expected = `Basic ${Buffer.from('ops:s3cret').toString('base64')}`;
    shipping = await startShipping((req) => req.headers.authorization === expected);
    const { port } = new URL(shipping.url);
    local = await startLocalConsole({ apps: [`http://ops:s3cret@127.0.0.1:${port}`], port: 0 });
    expect((await getJson(`${local.url}apps/0/api/model`)).status).toBe(200);
    expect(await (await fetch(local.url)).text()).toContain('>shipping</a>');
    // A browser's own Authorization (or cookies for localhost) is not passed on.
    const other = await startLocalConsole({ apps: [shipping.url], port: 0 });
    try {
      const refused = await getJson(`${other.url}apps/0/api/model`, { headers: { authorization: expected } });
      expect(refused.status).toBe(403);
    } finally {
      await other.close();
    }
  });

  it('refuses a foreign Host (DNS rebinding) and paths that leave the console API', async () => {
    const { base } = await startTwo();
    const port = Number(new URL(base).port);
    expect((await rawGet(port, '/', `evil.example:${port}`)).status).toBe(403);
    expect((await rawGet(port, '/apps/0/api/model', `evil.example:${port}`)).status).toBe(403);
    expect((await rawGet(port, '/apps/0/api/model', `localhost:${port}`)).status).toBe(200);
    expect((await rawGet(port, '/apps/0/api/../../commands/billing.pay', `127.0.0.1:${port}`)).status).toBe(404);
    expect((await rawGet(port, '/apps/0/api/%2e%2e/%2e%2e/health/ready', `127.0.0.1:${port}`)).status).toBe(404);
  });

  it('refuses a non-loopback address without allowRemote, and bad app URLs, naming the fix', async () => {
    await expect(startLocalConsole({ apps: ['http://127.0.0.1:1'], host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'TANDEM_CONFIG',
      message: expect.stringContaining('--allow-remote'),
    });
    await expect(startLocalConsole({ apps: ['amqp://u:p@rabbit'] })).rejects.toMatchObject({
      code: 'TANDEM_CONFIG',
      message: "--app 'amqp://***@rabbit' is not an http:// or https:// URL",
    });
    await expect(startLocalConsole({ apps: [] })).rejects.toMatchObject({ code: 'TANDEM_CONFIG' });
    local = await startLocalConsole({ apps: ['http://127.0.0.1:1'], port: 0 });
    await expect(
      startLocalConsole({ apps: ['http://127.0.0.1:1'], port: Number(new URL(local.url).port) }),
    ).rejects.toMatchObject({ code: 'TANDEM_CONFIG', message: expect.stringContaining('the port is in use') });
  });
});
