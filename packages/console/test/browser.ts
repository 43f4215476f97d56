/**
 * Debian's Chromium driven by playwright-core for the console's browser tests. Without
 * /usr/bin/chromium the tests skip with a message, and fail under TANDEM_REQUIRE_SERVICES=1
 * (CI installs it: .ci/run).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { SpanRing } from '../src/index.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests can run here; throws when they must (TANDEM_REQUIRE_SERVICES=1) and cannot. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.TANDEM_REQUIRE_SERVICES === '1')
    throw new Error(`${CHROMIUM} is required (TANDEM_REQUIRE_SERVICES=1) but missing: apt-get install -y chromium`);
  console.warn(`[skip] the console's browser tests need ${CHROMIUM} (apt-get install -y chromium)`);
  return false;
}

export interface Chromium {
  context: BrowserContext;
  page: Page;
  /** Errors the page's script threw, what its CSP refused, and dialogs it opened (the XSS checks read them). */
  pageErrors: string[];
  dialogs: string[];
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile, and one page in it. */
export async function launchChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'tandem-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    viewport: { width: 1280, height: 860 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  browser.setDefaultTimeout(20_000);
  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy'))
      pageErrors.push(message.text());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return {
    context: browser,
    page,
    pageErrors,
    dialogs,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Registers an OpenTelemetry SDK whose only processor is a span ring, as an app with the console would. */
export function installSpanRing(): { ring: SpanRing; uninstall(): Promise<void> } {
  const ring = new SpanRing();
  const provider = new TracerProvider({ spanProcessors: [ring] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    ring,
    async uninstall() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** Writes docs/images/console-<name>.png when TANDEM_CONSOLE_SCREENSHOTS=1 (they are committed once). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.TANDEM_CONSOLE_SCREENSHOTS !== '1') return;
  const dir = new URL('../../../docs/images/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir.pathname, `console-${name}.png`), fullPage: true });
}

/** expect.poll with room for a loaded machine: the page polls the API every 2-3 s. */
export function poll<T>(read: () => Promise<T> | T) {
  return expect.poll(read, { timeout: 20_000, interval: 100 });
}
