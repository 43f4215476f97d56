/**
 * The runtime's message handler in its callback form (`handle.deliver`), which the
 * RabbitMQ transport uses: `done` is called exactly once per delivery, with the same
 * disposition the promise form resolves with.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../contracts/contracts.js';
import { NonRetryableError } from '../errors/errors.js';
import { silentLogger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import { sleep } from '../testing/harness.js';
import type { Disposition, IncomingMessage, MessageHandler } from '../transport/broker.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { createApp, type App } from './app.js';
import { service } from './service.js';

const Job = defineEvent('jobs.run', { data: z.object({ outcome: z.enum(['ok', 'flaky', 'down', 'poison']) }) });

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

/** Starts an app whose group handler is captured, not subscribed on the broker. */
async function captured(): Promise<{ handle: MessageHandler; runs: () => number }> {
  const broker = new MemoryTransport({ broker: new MemoryBroker() });
  let handle: MessageHandler | undefined;
  const subscribe = broker.subscribe.bind(broker);
  broker.subscribe = (spec, h) => ((handle = h), subscribe(spec, async () => ({ kind: 'ack' })));
  let flaky = 0;
  let runs = 0;
  app = createApp({
    broker,
    logger: silentLogger,
    retry: { attempts: 4, immediateRetries: 2 },
    services: [
      service('jobs').onEvent(Job, async ({ outcome }) => {
        runs++;
        if (outcome === 'flaky' && ++flaky < 3) throw new Error('not yet');
        if (outcome === 'down') throw new Error('down');
        if (outcome === 'poison') throw new NonRetryableError('never');
      }),
    ],
  });
  await app.start();
  return { handle: handle!, runs: () => runs };
}

function incoming(data: unknown, body?: Uint8Array): IncomingMessage {
  const m = encodeEvent(Job, data, { source: 'test' });
  return { ...m, ...(body ? { body } : {}), id: m.headers['ce-id']!, attempt: 1, receivedAt: 0, origin: m };
}

/** Every call of `done` for one delivery, after it has had time to settle. */
async function answers(handle: MessageHandler, message: IncomingMessage): Promise<Array<Disposition | undefined>> {
  const seen: Array<Disposition | undefined> = [];
  handle.deliver!(message, (disposition) => void seen.push(disposition));
  for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(5);
  await sleep(20);
  return seen;
}

describe("the runtime's message handler, callback form", () => {
  it('calls done once with the disposition the promise form gives', async () => {
    const { handle, runs } = await captured();
    expect(handle.deliver).toBeTypeOf('function');
    expect(await answers(handle, incoming({ outcome: 'ok' }))).toEqual([{ kind: 'ack' }]);
    // Two failures retried at once, the third run succeeds: one answer, after three runs.
    expect(await answers(handle, incoming({ outcome: 'flaky' }))).toEqual([{ kind: 'ack' }]);
    expect(runs()).toBe(4);
    expect(await answers(handle, incoming({ outcome: 'poison' }))).toMatchObject([
      { kind: 'dead-letter', reason: 'non-retryable: TANDEM_NON_RETRYABLE', attempts: 1 },
    ]);
    expect(await answers(handle, incoming({ outcome: 'ok' }, new TextEncoder().encode('{')))).toMatchObject([
      { kind: 'dead-letter', reason: 'malformed' },
    ]);
    expect(await handle(incoming({ outcome: 'poison' }))).toMatchObject({ kind: 'dead-letter', attempts: 1 });
  });

  it('hands a retry with the next attempt back once the immediate retries are spent', async () => {
    const { handle, runs } = await captured();
    const failing = incoming({ outcome: 'down' });
    // Runs 1-3 fail (attempts 1-3 at once: two immediate retries); attempt 4 goes to the broker.
    const seen = await answers(handle, failing);
    expect(runs()).toBe(3);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'retry', attempt: 4 });
  });
});
