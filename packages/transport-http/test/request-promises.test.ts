import { createHook } from 'node:async_hooks';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, defineCommand, service, silentLogger, type App } from '@tandem/core';
import { httpServer, type HttpServer } from '../src/index.js';

/**
 * Every promise on the request path costs again in apps whose tracing SDK keeps context
 * with async hooks (docs/architecture.md, "Few promises on the request path"). This pins
 * the count for a command that publishes nothing, without a store or middleware, with
 * output checks off as in production: the handler's own promise and the runtime's one
 * reaction to it.
 */
const Echo = defineCommand('echo.say', {
  input: z.object({ text: z.string() }),
  output: z.object({ text: z.string() }),
});

let app: App;
let http: HttpServer;

beforeAll(async () => {
  http = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  app = createApp({
    services: [service('echo').command(Echo, async ({ text }) => ({ text }))],
    http,
    logger: silentLogger,
    checkOutput: false,
  });
  await app.start();
});
afterAll(() => app.stop());

/** POSTs with node:http's callback API, so the client side makes no promises. */
function post(url: string, body: string, done: (status: number, text: string) => void): void {
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.on('end', () => done(res.statusCode ?? 0, text));
  });
  req.end(body);
}

describe('promises per request', () => {
  it('a command costs two promises: the handler and the runtime reaction to it', async () => {
    const url = `${http.url}/commands/echo.say`;
    // Warm up: first requests create lazy state (route answers, the keep-alive agent).
    for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => post(url, '{"text":"hi"}', () => resolve()));

    // Counted from a timer callback to the response's end, so the test's own awaits are outside.
    // The hook sees every promise in the process, and a loaded machine's test worker makes
    // some of its own meanwhile: noise only adds, so the fewest over a few requests is the count.
    const counts: number[] = [];
    for (let round = 0; round < 5; round++) {
      let promises = 0;
      const hook = createHook({
        init(_id, type) {
          if (type === 'PROMISE') promises++;
        },
      });
      const answer = await new Promise<{ status: number; text: string }>((resolve) => {
        setTimeout(() => {
          hook.enable();
          post(url, '{"text":"hello"}', (status, text) => {
            hook.disable();
            resolve({ status, text });
          });
        }, 0);
      });
      expect(answer).toEqual({ status: 200, text: '{"text":"hello"}' });
      counts.push(promises);
    }
    expect(Math.min(...counts)).toBe(2);
  });
});
