/**
 * The shop failing to start on a store it cannot use: one line naming TANDEM_STORE_URL and
 * the fix, no credentials, no stack, exit code 1.
 */
import { execFile, execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeTcp, serviceAvailable } from '@tandem/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const main = join(here, '..', 'dist', 'main.js');
const postgres = await serviceAvailable('PostgreSQL on 127.0.0.1:5432', () => probeTcp('127.0.0.1', 5432));

function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [main],
      {
        env: { PATH: process.env.PATH ?? '', TANDEM_LOG_LEVEL: 'warn', TANDEM_HTTP_PORT: '0', ...env },
        timeout: 60_000,
      },
      (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });
}

async function expectOneLine(env: Record<string, string>, line: RegExp): Promise<void> {
  const { code, stderr } = await start(env);
  expect(stderr).toMatch(line);
  expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |s3cr3t/);
  expect(code).toBe(1);
}

describe('the shop failing to start', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-b',
      join(here, '..', 'tsconfig.build.json'),
    ]);
  }, 180_000);

  it('names TANDEM_STORE_URL for a PGlite directory that cannot be created', { timeout: 60_000 }, async () => {
    await expectOneLine(
      { TANDEM_STORE_URL: 'pglite:///etc/hostname/shop' },
      /^TANDEM_CONFIG: TANDEM_STORE_URL: cannot open the PGlite database at '\/etc\/hostname\/shop'/,
    );
  });

  it.skipIf(!postgres)(
    'names TANDEM_STORE_URL and createdb for a database that does not exist',
    { timeout: 60_000 },
    async () => {
      await expectOneLine(
        { TANDEM_STORE_URL: 'postgres://postgres:s3cr3t@127.0.0.1:5432/tandem_no_such_shop' },
        /^TANDEM_CONFIG: TANDEM_STORE_URL: database 'tandem_no_such_shop' does not exist on 127\.0\.0\.1:5432; create it \(createdb tandem_no_such_shop\)/,
      );
    },
  );

  it('names TANDEM_STORE_URL for a PostgreSQL server that is not there', { timeout: 60_000 }, async () => {
    await expectOneLine(
      { TANDEM_STORE_URL: 'postgres://postgres:s3cr3t@127.0.0.1:1/shop' },
      /^TANDEM_UNAVAILABLE: TANDEM_STORE_URL: cannot reach the database at 127\.0\.0\.1:1 \(ECONNREFUSED\)/,
    );
  });
});
