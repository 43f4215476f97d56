import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, type App } from '@tandem/core';
import { httpServer } from '../src/index.js';
import { startApp } from './fixtures.js';

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

interface Trickle {
  /** When the server closed the connection, in ms since the request began. */
  closedAfter: Promise<number>;
  /** Everything the server wrote. */
  received: () => string;
  stop: () => void;
}

/** Opens a raw connection, writes `head`, then one `chunk` every `everyMs` until the server closes it or `stop()`. */
function trickle(url: string, head: string, chunk: string, everyMs: number): Trickle {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  let received = '';
  const began = Date.now();
  socket.setEncoding('utf8');
  socket.on('data', (data: string) => (received += data));
  socket.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const closedAfter = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - began)));
  socket.once('connect', () => {
    socket.write(head);
    timer = setInterval(() => {
      if (!socket.destroyed) socket.write(chunk);
    }, everyMs);
  });
  void closedAfter.then(() => clearInterval(timer));
  return {
    closedAfter,
    received: () => received,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

/** Whichever comes first: the connection closing, or `ms` passing (then -1). */
function within(closed: Promise<number>, ms: number): Promise<number> {
  return Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), ms))]);
}

const CHUNKED_HEAD =
  'POST /commands/orders.place HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n';

describe('request timeouts', () => {
  it('cuts off an endless chunked body at requestTimeoutMs', async () => {
    const started = await startApp({ requestTimeoutMs: 1_000, headersTimeoutMs: 500 });
    app = started.app;
    const url = started.url;
    const body = trickle(url, CHUNKED_HEAD + '1\r\n[\r\n', '1\r\n \r\n', 100);
    try {
      // 1 s, checked every 125 ms: generous for a loaded machine, and far below node's default 300 s.
      const closedAfter = await within(body.closedAfter, 6_000);
      expect(closedAfter).toBeGreaterThanOrEqual(900);
      expect(closedAfter).toBeLessThan(6_000);
      expect(body.received()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      body.stop();
    }
  });

  it('cuts off a body that stalls', async () => {
    const started = await startApp({ requestTimeoutMs: 1_000, headersTimeoutMs: 500 });
    app = started.app;
    const url = started.url;
    const stalled = trickle(url, CHUNKED_HEAD + '1\r\n[\r\n', '', 60_000);
    try {
      const closedAfter = await within(stalled.closedAfter, 6_000);
      expect(closedAfter).toBeGreaterThanOrEqual(900);
      expect(closedAfter).toBeLessThan(6_000);
    } finally {
      stalled.stop();
    }
  });

  it('cuts off headers that trickle in at headersTimeoutMs', async () => {
    const started = await startApp({ requestTimeoutMs: 5_000, headersTimeoutMs: 500 });
    app = started.app;
    const url = started.url;
    const headers = trickle(url, 'GET /health/live HTTP/1.1\r\nHost: x\r\n', 'x-a: b\r\n', 100);
    try {
      const closedAfter = await within(headers.closedAfter, 4_000);
      expect(closedAfter).toBeGreaterThanOrEqual(400);
      expect(closedAfter).toBeLessThan(4_000);
      expect(headers.received()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      headers.stop();
    }
  });

  it('does not cut off a handler that runs longer than requestTimeoutMs once its request has arrived', async () => {
    const started = await startApp({ requestTimeoutMs: 300, headersTimeoutMs: 200 });
    app = started.app;
    const res = await fetch(`${started.url}/commands/orders.slow`, {
      method: 'POST',
      body: JSON.stringify({ ms: 1_000 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true, aborted: false });
  });

  it('has safe defaults: 30 s for a request, 10 s for its headers', async () => {
    const started = await startApp();
    app = started.app;
    const server = (started.server as unknown as { server: { requestTimeout: number; headersTimeout: number } }).server;
    expect(server.requestTimeout).toBe(30_000);
    expect(server.headersTimeout).toBe(10_000);
  });

  it('refuses a limit that is not a positive whole number, naming the option', () => {
    for (const [name, value] of [
      ['requestTimeoutMs', -1],
      ['headersTimeoutMs', 0],
      ['maxTimeoutMs', 1.5],
      ['bodyLimit', Number.NaN],
      ['closeTimeoutMs', Infinity],
    ] as const) {
      expect(() => httpServer({ [name]: value }), name).toThrow(ConfigError);
      expect(() => httpServer({ [name]: value }), name).toThrow(new RegExp(`option ${name}: `));
    }
    expect(() => httpServer({ authChallenge: 'Bearer\r\nx-evil: 1' })).toThrow(ConfigError);
  });
});
