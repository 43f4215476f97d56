import { ConfigError } from '../errors/errors.js';

/**
 * A TCP port from a setting: decimal digits only, 0 to 65535. Number() would take '' (0, a
 * random port), '0x0CF0', '1e3', ' 80' and '80.0'; each of those is a typo, not a port.
 */
export function parsePort(variable: string, value: string): number {
  if (value === '')
    throw new ConfigError(`${variable}: is empty; set a port number from 0 to 65535, or unset it for the default`);
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port <= 65535))
    throw new ConfigError(`${variable}: expected a port number, decimal digits from 0 to 65535; got '${value}'`);
  return port;
}
