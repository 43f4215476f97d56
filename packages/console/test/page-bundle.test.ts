import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { buildPage } from '../page/build.mjs';

const out = mkdtempSync(join(tmpdir(), 'tandem-console-page-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the committed console page bundle', () => {
  it('is what page/src builds to (rebuild it with npm run build:page -w @tandem/console)', async () => {
    await (buildPage as (dir: string) => Promise<string>)(out);
    for (const file of ['index.html', 'console.js', 'console.css']) {
      const fresh = readFileSync(join(out, file), 'utf8');
      const committed = readFileSync(new URL(`../page/bundle/${file}`, import.meta.url), 'utf8');
      expect(committed, `page/bundle/${file} is stale: npm run build:page -w @tandem/console`).toBe(fresh);
    }
  }, 60_000);

  it('has no eval, no Function constructor and no inline handlers for the CSP to refuse', () => {
    const js = readFileSync(new URL('../page/bundle/console.js', import.meta.url), 'utf8');
    const html = readFileSync(new URL('../page/bundle/index.html', import.meta.url), 'utf8');
    expect(js).not.toMatch(/\beval\(|new Function\(/);
    expect(html).not.toMatch(/<script>|<style|\son\w+=|style=/i);
  });
});
