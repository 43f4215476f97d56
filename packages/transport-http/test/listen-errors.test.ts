import { createServer, type Server } from 'node:net';
import { ConfigError, createApp, MemoryTransport, silentLogger } from '@tandem/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpServer } from '../src/index.js';

/** What starting an app whose server listens on `port` and `host` fails with. */
async function startFailure(port: number, host: string): Promise<Error> {
  const app = createApp({
    broker: new MemoryTransport(),
    http: httpServer({ port, host, logger: silentLogger }),
    logger: silentLogger,
  });
  const error = (await app.start().catch((e: unknown) => e)) as Error | undefined;
  await app.stop();
  if (!error) throw new Error(`the app started on ${host}:${port}`);
  return error;
}

describe('httpServer listen errors', () => {
  let holder: Server;
  let port: number;

  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  it('names TANDEM_HTTP_PORT and the fix for a port in use', async () => {
    const error = await startFailure(port, '127.0.0.1');
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `TANDEM_HTTP_PORT: port ${port} on 127.0.0.1 is already in use; stop the process that holds it or set TANDEM_HTTP_PORT to a free port`,
    );
  });

  it('names TANDEM_HTTP_HOST for a host that does not resolve or is not this machine', async () => {
    for (const [host, code] of [
      ['tandem-no-such-host.invalid', /ENOTFOUND|EAI_AGAIN/],
      ['192.0.2.1', /EADDRNOTAVAIL/],
    ] as const) {
      const error = await startFailure(0, host);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(
        new RegExp(
          `^TANDEM_HTTP_HOST: cannot listen on '${host.replace(/\./g, '\\.')}' \\((${code.source})\\); give an address of this machine`,
        ),
      );
    }
  });
});
