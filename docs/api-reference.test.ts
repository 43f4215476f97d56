import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

it('docs/api.md matches what the packages export (regenerate with node scripts/api-reference.mjs)', () => {
  const run = () =>
    execFileSync(process.execPath, [join(root, 'scripts/api-reference.mjs'), '--check'], { stdio: 'pipe' });
  expect(run).not.toThrow();
}, 120_000);

it('fails naming every export that has no doc comment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-api-'));
  try {
    mkdirSync(join(dir, 'pkg', 'src'), { recursive: true });
    writeFileSync(
      join(dir, 'pkg', 'package.json'),
      JSON.stringify({ name: '@x/pkg', exports: { '.': { '@tandem/source': './src/index.ts' } } }),
    );
    writeFileSync(
      join(dir, 'pkg', 'src', 'index.ts'),
      '/** Documented. */\nexport const documented = 1;\nexport function bare(): void {}\nexport interface Naked {}\n',
    );
    const run = spawnSync(process.execPath, [join(root, 'scripts/api-reference.mjs'), '--check', '--packages', dir], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('2 export(s) have no doc comment');
    expect(run.stderr).toMatch(/@x\/pkg bare \(.*index\.ts:3\)/);
    expect(run.stderr).toMatch(/@x\/pkg Naked \(.*index\.ts:4\)/);
    expect(run.stderr).not.toContain('documented');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
