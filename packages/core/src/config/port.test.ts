import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { fromEnv } from './from-env.js';

describe('TANDEM_HTTP_PORT', () => {
  it('takes decimal digits from 0 to 65535', async () => {
    for (const [value, port] of [
      ['0', 0],
      ['80', 80],
      ['3312', 3312],
      ['65535', 65535],
      ['08080', 8080],
    ] as const) {
      expect((await fromEnv({ TANDEM_HTTP_PORT: value })).httpPort).toBe(port);
    }
  });

  it("rejects '' (which was a random port), hex, exponents, blanks and fractions, naming the variable", async () => {
    for (const value of [
      '',
      '0x0CF0',
      '1e3',
      ' 80',
      '80 ',
      '80.0',
      '-1',
      '65536',
      '+80',
      '0b1',
      'Infinity',
      '99999999',
    ]) {
      const error = await fromEnv({ TANDEM_HTTP_PORT: value }).catch((e: unknown) => e);
      expect(error, `'${value}'`).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^TANDEM_HTTP_PORT: /);
    }
    await expect(fromEnv({ TANDEM_HTTP_PORT: '' })).rejects.toThrow(/TANDEM_HTTP_PORT: is empty; set a port number/);
  });
});
