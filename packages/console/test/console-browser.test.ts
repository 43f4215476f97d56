/**
 * The console page in Chromium against the billing app on the in-process broker: the
 * services view, a dead letter replayed by clicking, a trace's waterfall, the flow graph,
 * the lag and outbox charts, a saga instance retried, and event data that tries to be
 * markup shown as text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStore, type MemoryStore } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { consolePage } from '../src/index.js';
import { chromiumAvailable, installSpanRing, launchChromium, poll, screenshot, type Chromium } from './browser.js';
import { seedSaga, startBilling, type Started } from './fixtures.js';

const available = chromiumAvailable();
const XSS = '<img src=x onerror="window.__pwned=1;alert(1)">';

describe.skipIf(!available)('the console page in Chromium (in-process broker)', { timeout: 60_000 }, () => {
  let tracing: ReturnType<typeof installSpanRing>;
  let started: Started;
  let store: MemoryStore;
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
    store = memoryStore();
    started = await startBilling({ spans: tracing.ring, history: { intervalMs: 200 } }, [consolePage()], store);
    await seedSaga(store, 'o-done', 'completed', Date.now() - 2_000);
    await seedSaga(store, 'o-parked', 'parked', Date.now() - 1_000);
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

  it('charts lag per group and the outbox over time, from the first look on', async () => {
    const { page: tab } = browser;
    await tab.goto(`${page}#health`);
    const lag = tab.locator('figure[data-chart="lag"]');
    await poll(async () => Number(await lag.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
    expect(await lag.locator('canvas').count()).toBeGreaterThanOrEqual(1);
    expect(await lag.locator('.u-legend').textContent()).toContain('ledger');
    // Held events wait in the ledger group (one in flight): the chart's latest value follows them.
    const release = started.hold();
    for (const orderId of ['o-held-1', 'o-held-2', 'o-held-3']) await pay(orderId);
    await poll(() => lag.locator('[data-series="ledger"]').textContent()).toBe('ledger: 2');
    release();
    await poll(() => lag.locator('[data-series="ledger"]').textContent()).toBe('ledger: 0');
    await screenshot(tab, 'history');
    const outbox = tab.locator('figure[data-chart="outbox"]');
    await poll(() => outbox.locator('[data-series="waiting"]').textContent()).toMatch(/^waiting: \d+$/);
    await poll(() => outbox.locator('[data-series="parked"]').textContent()).toMatch(/^parked: \d+$/);
    expect(await tab.locator('#history-since').textContent()).toContain('sampling since the first look');
    expect(browser.pageErrors, browser.pageErrors.join('\n')).toEqual([]);
  });

  it('shows saga instances, one with its history, and retries a parked one when confirmed', async () => {
    const { page: tab } = browser;
    await tab.goto(`${page}#sagas`);
    const counts = tab.locator('#saga-counts tr[data-saga="checkout"]');
    await poll(() => counts.locator('td[data-status="parked"]').textContent()).toBe('1');
    expect(await counts.locator('td[data-status="completed"]').textContent()).toBe('1');
    const ids = await tab
      .locator('#saga-list tr[data-saga-id]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-saga-id')));
    expect(ids).toEqual(['o-parked', 'o-done']);
    await tab.locator('#saga-list tr[data-saga-id="o-parked"]').click();
    const detail = tab.locator('#saga-detail section[data-instance="checkout|o-parked"]');
    await poll(() => detail.locator('tr.saga-step td').nth(1).textContent()).toBe('orders.placed');
    // The user's state is shown as text: markup in it stays characters.
    expect(await detail.locator('pre.saga-state').textContent()).toContain('<b>bold</b>');
    expect(await tab.locator('main b').count()).toBe(0);
    expect(await detail.locator('pre.error-text').textContent()).toContain('payments.void: gateway down');
    await detail.getByRole('button', { name: 'Retry' }).click();
    await tab.locator('#confirm-ok').click();
    await poll(() => tab.locator('#saga-outcome').textContent()).toBe('retried checkout o-parked: now compensating');
    expect((await store.sagas.get('checkout', 'o-parked'))?.status).toBe('compensating');
    await poll(() => tab.locator('#saga-list tr[data-saga-id="o-parked"] td').nth(2).textContent()).toBe(
      'compensating',
    );
    // The list filtered by status.
    await tab.locator('select[name="status"]').selectOption('completed');
    const listed = () =>
      tab.locator('#saga-list tr[data-saga-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-saga-id')));
    await poll(listed).toEqual(['o-done']);
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
