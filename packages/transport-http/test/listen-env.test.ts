import { createServer } from 'node:net';
import { ConfigError, createApp, createLogger, MemoryTransport, silentLogger } from '@tandem/core';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { httpServer } from '../src/index.js';

const saved = { port: process.env.TANDEM_HTTP_PORT, host: process.env.TANDEM_HTTP_HOST };
afterEach(() => {
  for (const [key, value] of [
    ['TANDEM_HTTP_PORT', saved.port],
    ['TANDEM_HTTP_HOST', saved.host],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

/** A port nobody listens on now, picked by the system. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('httpServer() without port or host', () => {
  it('listens where TANDEM_HTTP_PORT and TANDEM_HTTP_HOST say, and the app logs that URL once started', async () => {
    const port = await freePort();
    process.env.TANDEM_HTTP_PORT = String(port);
    process.env.TANDEM_HTTP_HOST = '127.0.0.1';
    const lines: Record<string, unknown>[] = [];
    const server = httpServer({ logger: silentLogger });
    const app = createApp({
      broker: new MemoryTransport(),
      http: server,
      logger: createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
    });
    await app.start();
    try {
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
      const res = await request(`http://127.0.0.1:${port}/health/live`);
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      const started = lines.filter((l) => String(l.msg).startsWith('tandem app started'));
      expect(started).toHaveLength(1);
      expect(started[0]).toMatchObject({
        level: 'info',
        url: `http://127.0.0.1:${port}`,
        msg: `tandem app started, listening on http://127.0.0.1:${port}`,
      });
    } finally {
      await app.stop();
    }
  });

  it('refuses a TANDEM_HTTP_PORT or TANDEM_HTTP_HOST that fromEnv() refuses, naming the variable', async () => {
    for (const [key, value, message] of [
      [
        'TANDEM_HTTP_PORT',
        '0x0CF0',
        "TANDEM_HTTP_PORT: expected a port number, decimal digits from 0 to 65535; got '0x0CF0'",
      ],
      [
        'TANDEM_HTTP_PORT',
        '',
        'TANDEM_HTTP_PORT: is empty; set a port number from 0 to 65535, or unset it for the default',
      ],
      ['TANDEM_HTTP_HOST', '', 'TANDEM_HTTP_HOST: is empty; set an address of this machine'],
    ] as const) {
      delete process.env.TANDEM_HTTP_PORT;
      delete process.env.TANDEM_HTTP_HOST;
      process.env[key] = value;
      if (key === 'TANDEM_HTTP_HOST') process.env.TANDEM_HTTP_PORT = '0';
      const app = createApp({
        broker: new MemoryTransport(),
        http: httpServer({ logger: silentLogger }),
        logger: silentLogger,
      });
      const error = (await app.start().catch((e: unknown) => e)) as Error | undefined;
      await app.stop();
      expect(error).toBeInstanceOf(ConfigError);
      expect(error!.message).toContain(message);
    }
  });

  it('explicit options win over the environment', async () => {
    process.env.TANDEM_HTTP_PORT = 'not-a-port';
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const app = createApp({ broker: new MemoryTransport(), http: server, logger: silentLogger });
    await app.start();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await app.stop();
    }
  });
});
