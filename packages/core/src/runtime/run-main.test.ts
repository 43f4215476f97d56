import { describe, expect, it } from 'vitest';
import { ConfigError, UnavailableError } from '../errors/errors.js';
import { runMain } from './run-main.js';

async function run(main: () => unknown): Promise<{ out: string; code: number | undefined }> {
  let out = '';
  let code: number | undefined;
  await runMain(main, { write: (text) => (out += text), exit: (c) => (code = c) });
  return { out, code };
}

describe('runMain', () => {
  it('prints a TandemError as one line, code and message, credentials hidden, and exits 1', async () => {
    const { out, code } = await run(async () => {
      throw new UnavailableError('TANDEM_BROKER_URL: rabbitmq at amqp://guest:s3cr3t@127.0.0.1:1/ is unreachable', {
        cause: new Error('connect ECONNREFUSED'),
      });
    });
    expect(code).toBe(1);
    expect(out).toBe('TANDEM_UNAVAILABLE: TANDEM_BROKER_URL: rabbitmq at amqp://***@127.0.0.1:1/ is unreachable\n');
  });

  it('keeps the stack of an unexpected error, which is a bug to find', async () => {
    const { out, code } = await run(() => {
      throw new TypeError('x is not a function');
    });
    expect(code).toBe(1);
    expect(out).toMatch(/^TypeError: x is not a function\n\s+at /);
  });

  it('does not exit when the program starts, and passes on a number as the exit code', async () => {
    const before = process.exitCode;
    try {
      expect(await run(() => undefined)).toEqual({ out: '', code: undefined });
      await run(() => 2);
      expect(process.exitCode).toBe(2);
    } finally {
      process.exitCode = before;
    }
  });

  it('prints a multi-line TandemError message on one line', async () => {
    const { out } = await run(() => {
      throw new ConfigError('TANDEM_X: bad\n  because of y');
    });
    expect(out).toBe('TANDEM_CONFIG: TANDEM_X: bad because of y\n');
  });
});
