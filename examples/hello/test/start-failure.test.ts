/**
 * A failed start, as an operator sees it: the process prints one line (the error's code and
 * a message naming the setting and the fix, no credentials) and exits 1, without a stack.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const main = join(here, '..', 'dist', 'main.js');

function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [main],
      { env: { PATH: process.env.PATH ?? '', TANDEM_LOG_LEVEL: 'warn', ...env }, timeout: 60_000 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('examples/hello failing to start', () => {
  let holder: Server;
  let usedPort: number;

  beforeAll(async () => {
    execFileSync(process.execPath, [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-b',
      join(here, '..', 'tsconfig.build.json'),
    ]);
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '0.0.0.0', resolve));
    usedPort = (holder.address() as { port: number }).port;
  }, 120_000);
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  const cases: Array<[string, () => Record<string, string>, RegExp]> = [
    [
      'a port that is not a decimal number',
      () => ({ TANDEM_HTTP_PORT: '0x0CF0' }),
      /^TANDEM_CONFIG: TANDEM_HTTP_PORT: expected a port number/,
    ],
    ['an empty port', () => ({ TANDEM_HTTP_PORT: '' }), /^TANDEM_CONFIG: TANDEM_HTTP_PORT: is empty/],
    [
      'a port in use',
      () => ({ TANDEM_HTTP_PORT: String(usedPort) }),
      /^TANDEM_CONFIG: TANDEM_HTTP_PORT: port \d+ on 0\.0\.0\.0 is already in use/,
    ],
    [
      'a host that does not resolve',
      () => ({ TANDEM_HTTP_HOST: 'tandem-no-such-host.invalid', TANDEM_HTTP_PORT: '0' }),
      /^TANDEM_CONFIG: TANDEM_HTTP_HOST: cannot listen on/,
    ],
    [
      'a broker URL that does not parse, with a password in it',
      () => ({ TANDEM_BROKER_URL: 'amqp://user:s3cr3t@host:99999' }),
      /^TANDEM_CONFIG: TANDEM_BROKER_URL: 'amqp:\/\/\*\*\*@host:99999' is not a URL/,
    ],
  ];

  for (const [what, env, line] of cases) {
    it(`prints one line and exits 1 for ${what}`, { timeout: 60_000 }, async () => {
      const { code, stderr } = await start(env());
      expect(stderr).toMatch(line);
      expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
      expect(stderr).not.toMatch(/\n\s+at |s3cr3t/);
      expect(code).toBe(1);
    });
  }
});
