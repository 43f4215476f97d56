/**
 * The console page in Chromium against the billing app on the in-process broker: the
 * services view, a dead letter replayed by clicking, a trace's waterfall, the flow graph,
 * and event data that tries to be markup shown as text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@tandem/core/testing';
import { consolePage } from '../src/index.js';
import { chromiumAvailable, installSpanRing, launchChromium, poll, type Chromium } from './browser.js';
import { startBilling, type Started } from './fixtures.js';

const available = chromiumAvailable();
const XSS = '<img src=x onerror="window.__pwned=1;alert(1)">';

describe.skipIf(!available)('the console page in Chromium (in-process broker)', { timeout: 60_000 }, () => {
  let tracing: ReturnType<typeof installSpanRing>;
  let started: Started;
  let browser: Chromium;
  let base: string;
  let page: string;
  const pay = async (orderId: string, fail = false) => {
    const res = await fetch(`${base}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId, fail }),
    });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    tracing = installSpanRing();
    started = await startBilling({ spans: tracing.ring }, [consolePage()]);
    base = started.api.replace(/\/_tandem\/api$/, '');
    page = `${base}/_tandem/`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await started?.app.stop();
    await tracing?.uninstall();
  });

  it('shows the services with their handlers and their runs', async () => {
    const { page: tab } = browser;
    await tab.goto(`${page}#services`);
    // The statistics count from the first look at them on (nobody watching costs nothing).
    await tab.locator('tr[data-handler="billing.pay"]').waitFor();
    await pay('o-1');
    await pay('o-2');
    const payRow = tab.locator('section[data-service="billing"] tr[data-handler="billing.pay"]');
    await poll(() => payRow.locator('td').nth(3).textContent()).not.toBe('0');
    await poll(() => tab.locator('tr[data-handler="billing.paid"] td').nth(2).textContent()).toBe('ledger');
  });

  it('lists a dead letter and replays it when Replay is clicked and confirmed', async () => {
    await pay('o-dead', true);
    const { page: tab } = browser;
    await tab.goto(`${page}#dead-letters`);
    const row = tab.locator('section[data-group="ledger"] tr[data-id]', { hasText: 'billing.paid' }).first();
    await row.waitFor();
    await row.getByRole('button', { name: 'Inspect' }).click();
    await poll(() => tab.locator('pre.error-text').first().textContent()).toContain('card declined for o-dead');
    // Its trace, from the dead letter's traceparent header: the delivery that failed.
    await tab.locator('a.trace-link').click();
    await poll(() =>
      tab.locator('#trace-detail g.span[data-span="process billing.paid"]').count(),
    ).toBeGreaterThanOrEqual(1);
    await tab.goBack();
    await row.getByRole('button', { name: 'Inspect' }).waitFor();
    await row.getByRole('button', { name: 'Replay' }).click();
    await tab.locator('#confirm-ok').click();
    await poll(() => tab.locator('#dead-letter-outcome').textContent()).toMatch(/^replayed 1 of 1/);
    await eventually('the replayed order handled', () => started.handled.includes('o-dead'));
    await poll(() => tab.locator('section[data-group="ledger"] tr[data-id]').count()).toBe(0);
  });

  it("shows a trace's spans as a waterfall", async () => {
    await pay('o-traced');
    const { page: tab } = browser;
    await tab.goto(`${page}#traces`);
    await tab.locator('tr[data-trace]', { hasText: 'POST /payments' }).first().click();
    const spans = tab.locator('#trace-detail g.span');
    await poll(() => spans.count()).toBeGreaterThanOrEqual(3);
    const names = await spans.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-span')));
    expect(names).toEqual(expect.arrayContaining(['POST /payments', 'send billing.paid', 'process billing.paid']));
    const services = await spans.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-service')));
    expect(new Set(services)).toEqual(new Set(['billing']));
  });

  it('draws the event flow with the service, the event type and the group, and rates on the edges', async () => {
    await pay('o-flow');
    const { page: tab } = browser;
    await tab.goto(`${page}#flow`);
    for (const node of ['service:billing', 'event:billing.paid', 'group:ledger'])
      await tab.locator(`svg.flow g[data-node="${node}"]`).waitFor();
    const edge = tab.locator('svg.flow g[data-edge="publishes|service:billing|event:billing.paid"] text');
    await poll(() => edge.textContent()).toMatch(/\/s/);
    // billing consumes its own event: a cycle, listed and drawn on both of its edges.
    expect(await tab.locator('#cycles').textContent()).toContain('event cycle between services: billing → billing');
    expect(await tab.locator('svg.flow g.edge.cycle').count()).toBe(2);
  });

  it('shows event data and errors that look like markup as text, and runs nothing', async () => {
    await pay(XSS, true);
    const { page: tab } = browser;
    await tab.goto(`${page}#dead-letters`);
    const row = tab.locator('section[data-group="ledger"] tr[data-id]').first();
    await row.getByRole('button', { name: 'Inspect' }).click();
    await poll(() => tab.locator('pre.payload').first().textContent()).toContain(XSS.replace(/"/g, '\\"'));
    expect(await tab.locator('pre.error-text').first().textContent()).toContain('<img src=x');
    expect(await tab.locator('main img').count()).toBe(0);
    expect(await tab.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(browser.dialogs).toEqual([]);
    expect(browser.pageErrors, browser.pageErrors.join('\n')).toEqual([]);
  });
});
