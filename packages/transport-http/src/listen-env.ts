import { ConfigError, parsePort } from '@tandem/core';

/**
 * Where a server listens when its options do not say: TANDEM_HTTP_PORT and TANDEM_HTTP_HOST,
 * read as strictly as `fromEnv()` reads them (a port is decimal digits from 0 to 65535; an
 * empty host is a typo, not "all interfaces"), then 3000 on 0.0.0.0.
 */
export function listenAddress(
  options: { port?: number; host?: string },
  env: Record<string, string | undefined> = process.env,
): { port: number; host: string } {
  const port =
    options.port ?? (env.TANDEM_HTTP_PORT === undefined ? 3000 : parsePort('TANDEM_HTTP_PORT', env.TANDEM_HTTP_PORT));
  let host = options.host;
  if (host === undefined) {
    if (env.TANDEM_HTTP_HOST === '')
      throw new ConfigError(
        `TANDEM_HTTP_HOST: is empty; set an address of this machine (0.0.0.0 for all, 127.0.0.1, ::), or unset it for the default 0.0.0.0`,
      );
    host = env.TANDEM_HTTP_HOST ?? '0.0.0.0';
  }
  return { port, host };
}
