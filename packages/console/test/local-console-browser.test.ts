/**
 * The console page served by the local console (tandem console) in Chromium, for two apps on
 * in-process brokers: each app's page under /apps/<n>/ shows that app, and a dead letter is
 * replayed by clicking through the proxy, with the browser's own origin and the app's CSRF token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { startLocalConsole, type LocalConsole } from '../src/index.js';
import { chromiumAvailable, launchChromium, poll, type Chromium } from './browser.js';
import { Pay, startBilling, startShipping, type Started } from './fixtures.js';

const available = chromiumAvailable();

describe.skipIf(!available)('the local console in Chromium', { timeout: 60_000 }, () => {
  let billing: Started;
  let shipping: { app: App; url: string };
  let local: LocalConsole;
  let browser: Chromium;

  beforeAll(async () => {
    billing = await startBilling();
    shipping = await startShipping();
    local = await startLocalConsole({ apps: [billing.api.replace(/\/_tandem\/api$/, ''), shipping.url], port: 0 });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await local?.close();
    await billing?.app.stop();
    await shipping?.app.stop();
  });

  it('links each app from the index, and shows the second app’s handlers under /apps/1/', async () => {
    const { page: tab } = browser;
    await tab.goto(local.url);
    await tab.getByRole('link', { name: 'shipping' }).click();
    await tab.waitForURL(`${local.url}apps/1/`);
    await tab.locator('section[data-service="shipping"] tr[data-handler="shipping.ship"]').waitFor();
    expect(await tab.locator('tr[data-handler="billing.pay"]').count()).toBe(0);
    await tab.getByRole('link', { name: 'Tandem console' }).click();
    await tab.waitForURL(local.url);
    await tab.getByRole('link', { name: 'billing' }).waitFor();
    expect(browser.pageErrors).toEqual([]);
  });

  it('replays a dead letter of the first app by clicking, through the proxy', async () => {
    await billing.app.call(Pay, { orderId: 'o-local', fail: true });
    const { page: tab } = browser;
    await tab.goto(`${local.url}apps/0/#dead-letters`);
    const row = tab.locator('section[data-group="ledger"] tr[data-id]', { hasText: 'billing.paid' }).first();
    await row.waitFor();
    await row.getByRole('button', { name: 'Replay' }).click();
    await tab.locator('#confirm-ok').click();
    await poll(() => tab.locator('#dead-letter-outcome').textContent()).toMatch(/^replayed 1 of 1/);
    await eventually('the replayed order handled by the billing app', () => billing.handled.includes('o-local'));
    expect(browser.pageErrors).toEqual([]);
  });
});
