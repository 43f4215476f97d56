import { readFileSync } from 'node:fs';

/**
 * The page's policy: its own script and style only (no inline script or style, no eval),
 * calls to its own origin only, no frames, no plugins, no forms posted elsewhere.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers every file of the console page (and the local console's index) is served with. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** One file of the page. */
export interface PageAsset {
  body: Buffer;
  type: string;
}

/** The committed bundle (page/bundle), the same relative path from src/page and dist/page. */
const BUNDLE = new URL('../../page/bundle/', import.meta.url);

/**
 * The page's files by path ('/' is index.html), with the API's path relative to the page
 * written into index.html, so the page finds the API wherever both are mounted.
 */
export function pageAssets(apiPath: string): Map<string, PageAsset> {
  const read = (name: string) => readFileSync(new URL(name, BUNDLE));
  const html = read('index.html').toString('utf8').replace('{{api}}', escapeHtml(apiPath));
  return new Map([
    ['/', { body: Buffer.from(html), type: 'text/html; charset=utf-8' }],
    ['/console.js', { body: read('console.js'), type: 'text/javascript; charset=utf-8' }],
    ['/console.css', { body: read('console.css'), type: 'text/css; charset=utf-8' }],
  ]);
}

/** Text for an HTML attribute or element. */
export function escapeHtml(text: string): string {
  return text.replace(/[&"'<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}
