import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './main.js';
import { captureIo } from './io.fixture.js';

const fixture = fileURLToPath(new URL('../docs/docs.fixture.ts', import.meta.url));

const io = captureIo;

describe('tandem docs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-docs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes OpenAPI, AsyncAPI and the event flow, and flags cycles', async () => {
    const run = io();
    const code = await main(
      ['docs', '--module', fixture, '--export', 'shopServices', '--out', dir, '--title', 'shop'],
      run.io,
    );
    expect(code).toBe(0);
    const openapi = JSON.parse(readFileSync(join(dir, 'openapi.json'), 'utf8')) as { openapi: string; paths: object };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toContain('/commands/orders.place');
    const asyncapi = JSON.parse(readFileSync(join(dir, 'asyncapi.json'), 'utf8')) as {
      asyncapi: string;
      info: { title: string };
    };
    expect(asyncapi).toMatchObject({ asyncapi: '3.0.0', info: { title: 'shop' } });
    const flow = readFileSync(join(dir, 'event-flow.md'), 'utf8');
    expect(flow).toContain('```mermaid');
    expect(flow).toContain('- billing → ledger → billing');
    expect(run.err.join('')).toMatch(/event cycle between services: billing → ledger → billing/);
  });

  it('fails on cycles when asked, and names a missing export', async () => {
    const cycles = io();
    expect(
      await main(
        ['docs', '--module', fixture, '--export', 'shopServices', '--out', dir, '--fail-on-cycles'],
        cycles.io,
      ),
    ).toBe(1);
    const missing = io();
    expect(await main(['docs', '--module', fixture, '--out', dir], missing.io)).toBe(2);
    expect(missing.err.join('')).toMatch(
      /has no array export named 'services'; the module must export an array named 'services'/,
    );
  });
});
