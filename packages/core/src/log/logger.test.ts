import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  it('writes an error with its cause chain, and no URL credentials anywhere in it', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line) });
    const driver = Object.assign(new Error('could not connect to postgres://shop:s3cr3t@db:5432/shop'), {
      code: 'ECONNREFUSED',
    });
    const error = new ConfigError('TANDEM_STORE_URL: cannot reach amqp://u:s3cr3t@h', { cause: driver });
    log.error({ err: error }, 'start failed');
    const record = JSON.parse(lines[0]!) as { err: { message: string; cause: { message: string; code: string } } };
    expect(lines[0]).not.toMatch(/s3cr3t|shop:/);
    expect(record.err.message).toBe('TANDEM_STORE_URL: cannot reach amqp://***@h');
    expect(record.err.cause).toMatchObject({
      message: 'could not connect to postgres://***@db:5432/shop',
      code: 'ECONNREFUSED',
    });
  });

  it('hides URL credentials in string fields and the message', () => {
    const lines: string[] = [];
    createLogger({ write: (line) => lines.push(line) }).warn(
      { url: 'amqp://guest:s3cr3t@rabbit:5672/' },
      'lost amqp://guest:s3cr3t@rabbit:5672/',
    );
    expect(JSON.parse(lines[0]!)).toMatchObject({
      url: 'amqp://***@rabbit:5672/',
      msg: 'lost amqp://***@rabbit:5672/',
    });
  });

  it('stops at a cause chain that loops', () => {
    const lines: string[] = [];
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    createLogger({ write: (line) => lines.push(line) }).error({ err: a });
    expect(lines[0]!.length).toBeLessThan(20_000);
  });
});
