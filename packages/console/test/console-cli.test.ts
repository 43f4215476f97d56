/**
 * `tandem console` as an operator runs it: the built CLI in its own process, which finds
 * @tandem/console by its package name, serves two apps and stops on SIGINT or SIGTERM.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBilling, type Started } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const bin = join(root, 'packages', 'core', 'dist', 'cli', 'bin.js');

/** Runs the CLI until it prints where it listens; `stop` sends the signal and waits for the exit. */
function startCli(
  args: string[],
): Promise<{ url: string; stop(signal: NodeJS.Signals): Promise<{ code: number | null; out: string }> }> {
  const child = spawn(process.execPath, [bin, 'console', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const check = () => {
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (url) {
        child.stdout.off('data', check);
        resolve({
          url,
          async stop(signal) {
            child.kill(signal);
            return { code: await exited, out };
          },
        });
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`tandem console exited ${code} before listening: ${err}`)));
  });
}

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, 'console', ...args], { timeout: 60_000 }, (_e, _out, stderr) =>
      resolve({ code: child.exitCode, stderr }),
    );
  });
}

describe('tandem console (the CLI process)', () => {
  const apps: Started[] = [];
  beforeAll(async () => {
    execFileSync(process.execPath, [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-b',
      join(here, '..', 'tsconfig.build.json'),
    ]);
    apps.push(await startBilling(), await startBilling());
  }, 120_000);
  afterAll(async () => {
    for (const app of apps) await app.app.stop();
  });
  const urlOf = (s: Started) => s.api.replace(/\/_tandem\/api$/, '');

  it('serves the apps it is given, and stops cleanly on SIGINT and on SIGTERM', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const cli = await startCli(['--app', urlOf(apps[0]!), '--app', urlOf(apps[1]!), '--port', '0']);
      const index = await (await fetch(cli.url)).text();
      expect(index.match(/>billing<\/a>/g)).toHaveLength(2);
      const model = (await (await fetch(`${cli.url}apps/1/api/model`)).json()) as { services: string[] };
      expect(model.services).toEqual(['billing']);
      const { code, out } = await cli.stop(signal);
      expect(code, signal).toBe(0);
      expect(out).toContain(`${cli.url}apps/1/  ${urlOf(apps[1]!)}`);
      expect(out).toContain('tandem console: stopped');
    }
  }, 60_000);

  it('refuses a non-loopback address without --allow-remote, and a URL that is not http, with exit code 2', async () => {
    const remote = await runCli(['--app', urlOf(apps[0]!), '--host', '0.0.0.0', '--port', '0']);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain("'0.0.0.0' is not a loopback address (pass --allow-remote");
    const scheme = await runCli(['--app', 'amqp://guest:guest@127.0.0.1:5672']);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain("--app 'amqp://***@127.0.0.1:5672' is not an http:// or https:// URL");
    expect(scheme.stderr).not.toContain('guest:guest');
  }, 60_000);
});
