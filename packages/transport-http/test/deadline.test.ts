import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AbortedError, createApp, defineCommand, service, silentLogger, TimeoutError, type App } from '@tandem/core';
import { httpClient, httpServer, type HttpClient } from '../src/index.js';

const Crunch = defineCommand('reports.crunch', { input: z.object({}), output: z.object({ finished: z.boolean() }) });
const Report = defineCommand('frontdesk.report', { input: z.object({}), output: z.object({ finished: z.boolean() }) });

interface Seen {
  deadlineIn?: number;
  abortedAfterMs?: number;
  reason?: unknown;
}

let seen: Seen = {};
let callee: App;
let caller: App;
let client: HttpClient;
let callerUrl: string;

beforeAll(async () => {
  const calleeServer = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  callee = createApp({
    services: [
      service('reports').command(Crunch, async (_input, ctx) => {
        const started = Date.now();
        seen = { ...(ctx.meta.deadline !== undefined ? { deadlineIn: ctx.meta.deadline - started } : {}) };
        // A slow handler that listens to ctx.signal: it stops at the caller's deadline, not after 2 s.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2_000);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            seen.abortedAfterMs = Date.now() - started;
            seen.reason = ctx.signal.reason;
            resolve();
          });
        });
        return { finished: !ctx.signal.aborted };
      }),
    ],
    http: calleeServer,
    logger: silentLogger,
  });
  await callee.start();
  client = httpClient({ services: { reports: calleeServer.url! }, retry: false });

  const callerServer = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  caller = createApp({
    services: [service('frontdesk').command(Report, (input, ctx) => ctx.call(Crunch, input, { timeoutMs: 100 }))],
    http: callerServer,
    clients: client,
    logger: silentLogger,
  });
  await caller.start();
  callerUrl = callerServer.url!;
});
afterAll(async () => {
  await caller.stop();
  await callee.stop();
});

async function waitForAbort(): Promise<void> {
  for (let i = 0; i < 100 && seen.abortedAfterMs === undefined; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * The callee's signal aborts near the deadline, long before its 2 s of work: by its own
 * deadline timer (TimeoutError), or, when the caller's timer fires first on a busy event
 * loop, by the caller closing the request at the same deadline.
 */
function expectAbortedAtTheDeadline(): void {
  expect(seen.abortedAfterMs).toBeDefined();
  expect(seen.abortedAfterMs!).toBeGreaterThanOrEqual(50);
  expect(seen.abortedAfterMs!).toBeLessThan(1_000);
  expect(seen.reason).toSatisfy((r) => r instanceof TimeoutError || r instanceof AbortedError);
}

describe('deadline propagation', () => {
  it('a 100 ms deadline set with ctx.call reaches the slow callee as an aborted ctx.signal', async () => {
    const response = await fetch(`${callerUrl}/commands/frontdesk.report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ code: 'TANDEM_TIMEOUT' });
    await waitForAbort();
    expect(seen.deadlineIn).toBeGreaterThan(0);
    expect(seen.deadlineIn).toBeLessThanOrEqual(100);
    expectAbortedAtTheDeadline();
  });

  it('a deadline set on the client call reaches the callee the same way', async () => {
    seen = {};
    await expect(client.call(Crunch, {}, { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
    await waitForAbort();
    expect(seen.deadlineIn).toBeLessThanOrEqual(100);
    expectAbortedAtTheDeadline();
  });
});
