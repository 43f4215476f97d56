import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

it('docs/api.md matches what the packages export (regenerate with node scripts/api-reference.mjs)', () => {
  const run = () =>
    execFileSync(process.execPath, [join(root, 'scripts/api-reference.mjs'), '--check'], { stdio: 'pipe' });
  expect(run).not.toThrow();
}, 120_000);
