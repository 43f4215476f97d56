import type { Server } from 'node:http';
import { ConfigError } from '@tandem/core';

/**
 * Listens on `port` and `host`, turning what the operating system refuses into a
 * ConfigError that names the setting (TANDEM_HTTP_PORT, TANDEM_HTTP_HOST) and the fix.
 */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => reject(listenError(error, port, host));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  const why = `${error.code ?? error.name}: ${error.message}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new ConfigError(
        `TANDEM_HTTP_PORT: port ${port} on ${host} is already in use; stop the process that holds it or set TANDEM_HTTP_PORT to a free port`,
        { cause: error },
      );
    case 'EACCES':
      return new ConfigError(
        `TANDEM_HTTP_PORT: not allowed to listen on port ${port} (${why}); ports below 1024 need privileges, use a higher one`,
        { cause: error },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
    case 'EINVAL':
      return new ConfigError(
        `TANDEM_HTTP_HOST: cannot listen on '${host}' (${error.code}); give an address of this machine (0.0.0.0 for all, 127.0.0.1, ::) or a name that resolves to one`,
        { cause: error },
      );
    default:
      return error;
  }
}
