import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { Client, Pool, request, type Dispatcher } from 'undici';
import { createApp, defineCommand, service, type App, type Logger } from '@tandem/core';
import { httpServer } from '../src/index.js';
import { ordersService } from './fixtures.js';

interface Line {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

/** A logger that keeps what it is told. */
function recorder(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (fields: object, message?: string): void =>
      void lines.push({ level, fields: fields as Record<string, unknown>, message });
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
  holding = 0;
});

const Hang = defineCommand('jobs.hang', { input: z.object({}), output: z.object({ ok: z.boolean() }) });
const Hold = defineCommand('jobs.hold', {
  input: z.object({ ms: z.number() }),
  output: z.object({ done: z.boolean(), aborted: z.boolean() }),
});

/** Runs of jobs.hold that have started. */
let holding = 0;

/** The orders service, and jobs.hold: a command that keeps the app draining for `ms` once it has started. */
function services() {
  const jobs = service('jobs').command(Hold, async ({ ms }, ctx) => {
    holding++;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { done: true, aborted: ctx.signal.aborted };
  });
  return [ordersService(), jobs];
}

/** Starts a jobs.hold of `ms` and waits until its handler runs; `answer` is its response to come. */
async function hold(url: string, ms: number, client?: Client): Promise<{ answer: Promise<Dispatcher.ResponseData> }> {
  const before = holding;
  const options = {
    method: 'POST' as const,
    body: JSON.stringify({ ms }),
    headers: { 'content-type': 'application/json' },
  };
  const answer = client
    ? client.request({ path: '/commands/jobs.hold', ...options })
    : request(`${url}/commands/jobs.hold`, options);
  await vi.waitFor(() => expect(holding).toBeGreaterThan(before), { timeout: 10_000, interval: 5 });
  return { answer };
}

describe('graceful stop under keep-alive load', () => {
  it.each([
    ['the runtime drains at once', 0],
    ['a slow command keeps the app draining for 1 s', 1_000],
  ])(
    '50 kept-alive connections under continuous load (%s): no resets, every refusal a 503 with Retry-After, stop within its bound',
    async (_, slowMs) => {
      const lines: Line[] = [];
      const server = httpServer({ port: 0, host: '127.0.0.1', logger: recorder(lines) });
      const shutdownTimeoutMs = 3_000;
      app = createApp({ services: services(), http: server, logger: recorder([]), shutdownTimeoutMs });
      await app.start();
      const url = server.url!;
      const pool = new Pool(url, { connections: 50, pipelining: 1 });
      const statuses = new Map<number, number>();
      const refusedWithoutRetryAfter: string[] = [];
      const openAfterRefusal: string[] = [];
      const errors = new Map<string, number>();
      let done = false;
      let answered = 0;
      const lane = async (): Promise<void> => {
        while (!done) {
          try {
            const res = await pool.request({ path: '/orders/o-1', method: 'GET' });
            await res.body.dump();
            answered++;
            statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
            if (res.statusCode === 503) {
              if (res.headers['retry-after'] !== '1') refusedWithoutRetryAfter.push(String(res.headers['retry-after']));
              if (res.headers.connection !== 'close') openAfterRefusal.push(String(res.headers.connection));
            }
          } catch (error) {
            const code = (error as { code?: string }).code ?? String(error);
            errors.set(code, (errors.get(code) ?? 0) + 1);
            // A refused connection: the listener is closed; a client tries another instance.
            if (code === 'ECONNREFUSED') await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }
      };
      const lanes = Array.from({ length: 50 }, lane);
      try {
        // Every connection in use, kept alive.
        const warm = Date.now();
        while (answered < 1_000 && Date.now() - warm < 10_000) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(answered).toBeGreaterThanOrEqual(1_000);

        const slow = slowMs > 0 ? (await hold(url, slowMs)).answer : undefined;
        const began = Date.now();
        await app.stop();
        const took = Date.now() - began;
        done = true;
        await Promise.all(lanes);

        const { ECONNREFUSED: refused = 0, ...other } = Object.fromEntries(errors);
        expect(other, `refused connections: ${refused}`).toEqual({});
        expect([...statuses.keys()].sort()).toEqual([200, 503]);
        expect(refusedWithoutRetryAfter).toEqual([]);
        expect(openAfterRefusal).toEqual([]);
        if (slow) {
          const res = await slow;
          expect(res.statusCode).toBe(200);
          await res.body.dump();
        }
        // The in-flight work drained before the deadline: the rest is connections ending; generous for a loaded machine.
        expect(took).toBeLessThan(shutdownTimeoutMs);
        // Each refusal is one line at warn, without a stack.
        expect(lines.filter((l) => l.level === 'error')).toEqual([]);
        const refusals = lines.filter((l) => l.level === 'warn');
        expect(refusals.length).toBe(statuses.get(503));
        expect(statuses.get(503)).toBeGreaterThan(0);
        for (const line of refusals) {
          expect(line.fields).not.toHaveProperty('err');
          expect(line.fields).toMatchObject({ code: 'TANDEM_SHUTTING_DOWN', path: '/orders/o-1' });
        }
      } finally {
        done = true;
        await Promise.all(lanes);
        await pool.destroy();
      }
    },
  );

  it('closes an idle kept-alive connection soon after the stop begins, and one with a request in flight only after its answer', async () => {
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: recorder([]) });
    app = createApp({ services: services(), http: server, logger: recorder([]), shutdownTimeoutMs: 5_000 });
    await app.start();
    const idle = new Client(server.url!);
    const busy = new Client(server.url!);
    try {
      for (const client of [idle, busy])
        await (await client.request({ path: '/orders/o-1', method: 'GET' })).body.dump();
      let idleClosedAt = 0;
      idle.once('disconnect', () => (idleClosedAt = Date.now()));
      const slow = (await hold(server.url!, 1_000, busy)).answer;
      const began = Date.now();
      const stopping = app.stop();
      const res = await slow;
      const answeredAt = Date.now();
      expect(res.statusCode).toBe(200);
      expect(res.headers.connection).toBe('close');
      expect(await res.body.json()).toEqual({ done: true, aborted: false });
      await stopping;
      // Idle for 200 ms, swept every 50 ms: closed well before the busy one's answer.
      expect(idleClosedAt).toBeGreaterThan(0);
      expect(idleClosedAt - began).toBeLessThan(answeredAt - began);
    } finally {
      await idle.close();
      await busy.close();
    }
  });

  it('a command whose body was still arriving when the stop began is refused as not run, with Retry-After', async () => {
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: recorder([]) });
    app = createApp({ services: services(), http: server, logger: recorder([]), shutdownTimeoutMs: 5_000 });
    await app.start();
    // On a connection already open: the request reaches the server whenever the stop begins.
    const kept = new Client(server.url!);
    await (await kept.request({ path: '/orders/o-1', method: 'GET' })).body.dump();
    const body = new PassThrough();
    const call = kept.request({
      path: '/commands/orders.place',
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    body.write('{"sku":"a",');
    // A slow command keeps the app draining while the body ends.
    const slow = (await hold(server.url!, 300)).answer;
    const stopping = app.stop();
    body.end('"qty":1}');
    const res = await call;
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['tandem-not-run']).toBe('1');
    expect(res.headers.connection).toBe('close');
    expect(await res.body.json()).toMatchObject({ code: 'TANDEM_SHUTTING_DOWN' });
    await (await slow).body.dump();
    await stopping;
    await kept.close();
  });

  it('a request refused while stopping is logged as one line at warn, without a stack', async () => {
    const lines: Line[] = [];
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: recorder(lines) });
    app = createApp({ services: services(), http: server, logger: recorder([]), shutdownTimeoutMs: 5_000 });
    await app.start();
    const kept = new Client(server.url!);
    try {
      await (await kept.request({ path: '/orders/o-1', method: 'GET' })).body.dump();
      // A slow command keeps the app draining while the refused request arrives.
      const slow = (await hold(server.url!, 300)).answer;
      const stopping = app.stop();
      const refused = await kept.request({ path: '/orders/o-1', method: 'GET' });
      expect(refused.statusCode).toBe(503);
      await refused.body.dump();
      await (await slow).body.dump();
      await stopping;
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(lines).toEqual([
        {
          level: 'warn',
          fields: { method: 'GET', path: '/orders/o-1', code: 'TANDEM_SHUTTING_DOWN' },
          message: 'request refused: the service is shutting down',
        },
      ]);
    } finally {
      await kept.close();
    }
  });

  it('a handler that ignores its signal does not stretch stop() past its bound, and its caller gets a 503', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const jobs = service('jobs').command(Hang, () => {
      started();
      return new Promise<never>(() => undefined);
    });
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: recorder([]) });
    const shutdownTimeoutMs = 1_000;
    app = createApp({ services: [jobs], http: server, logger: recorder([]), shutdownTimeoutMs });
    await app.start();
    const call = request(`${server.url}/commands/jobs.hang`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    await running;
    const began = Date.now();
    await app.stop();
    const took = Date.now() - began;
    // The deadline, the grace aborted runs get (min(1 s, 2 s)) and FLUSH_MS (1 s), plus room for a loaded machine.
    expect(took).toBeLessThan(shutdownTimeoutMs + 1_000 + 1_000 + 1_500);
    const res = await call;
    expect(res.statusCode).toBe(503);
    expect(res.headers.connection).toBe('close');
    expect(res.headers['retry-after']).toBe('1');
    expect(await res.body.json()).toMatchObject({ code: 'TANDEM_ABORTED' });
  });
});
