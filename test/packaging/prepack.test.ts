/**
 * `npm pack` in a package that was never built must still ship its build: every publishable
 * package's prepack builds it. Checked on a copy of the repository with no dist/ at all.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const publishable = readdirSync(join(root, 'packages')).filter((dir) => {
  try {
    return JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).private !== true;
  } catch {
    return false;
  }
});

function packDryRun(cwd: string): Promise<Array<{ files: Array<{ path: string }> }>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.platform === 'win32' ? 'npm.cmd' : 'npm',
      ['pack', '--dry-run', '--json'],
      { cwd, timeout: 120_000, env: { ...process.env, npm_config_loglevel: 'error' } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

describe('npm pack of an unbuilt package', () => {
  const copy = mkdtempSync(join(tmpdir(), 'tandem-prepack-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(join(root, 'tsconfig.base.json'), join(copy, 'tsconfig.base.json'));
  cpSync(join(root, 'package.json'), join(copy, 'package.json'));
  cpSync(join(root, 'packages'), join(copy, 'packages'), {
    recursive: true,
    filter: (src) => !['dist', 'node_modules'].includes(basename(src)) && !src.endsWith('.tsbuildinfo'),
  });
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));

  it('has a prepack script in every publishable package', () => {
    for (const dir of publishable) {
      const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      };
      expect(pkg.scripts?.prepack, dir).toBe('tsc -b tsconfig.build.json');
    }
  });

  it('ships dist/ when packed from a checkout that never built', { timeout: 180_000 }, async () => {
    const [packed] = await packDryRun(join(copy, 'packages', 'core'));
    const files = packed!.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
  });
});
