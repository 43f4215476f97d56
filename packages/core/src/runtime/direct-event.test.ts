/**
 * An event handler with nothing between it and its validation (no store, middleware or
 * deadline) runs on the runtime's direct path: its events are sent after it succeeds, a
 * forced stop still ends it and drops what it published, and once its events are being
 * sent an abort waits for the send.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../contracts/contracts.js';
import { silentLogger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import { sleep } from '../testing/harness.js';
import type { Disposition, IncomingMessage, MessageHandler, OutgoingMessage } from '../transport/broker.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { createApp, type App } from './app.js';
import { service } from './service.js';

const Placed = defineEvent('orders.placed', { data: z.object({ id: z.string() }) });
const Shipped = defineEvent('orders.shipped', { data: z.object({ id: z.string() }) });

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

/** An app whose group handler is captured, and whose publishes are recorded (and may be held). */
async function started(handler: (id: string, publish: () => Promise<void>) => Promise<void>) {
  const broker = new MemoryTransport({ broker: new MemoryBroker() });
  let handle: MessageHandler | undefined;
  const subscribe = broker.subscribe.bind(broker);
  broker.subscribe = (spec, h) => ((handle = h), subscribe(spec, async () => ({ kind: 'ack' })));
  const sent: OutgoingMessage[] = [];
  let hold: Promise<void> | undefined;
  broker.publish = async (messages) => {
    await hold;
    sent.push(...messages);
  };
  app = createApp({
    broker,
    logger: silentLogger,
    shutdownTimeoutMs: 50,
    services: [
      service('orders').onEvent(Placed, async ({ id }, ctx) => handler(id, () => ctx.publish(Shipped, { id }))),
    ],
  });
  await app.start();
  return { handle: handle!, sent, holdPublishes: (until: Promise<void>) => (hold = until) };
}

function incoming(id: string): IncomingMessage {
  const m = encodeEvent(Placed, { id }, { source: 'test' });
  return { ...m, id: m.headers['ce-id']!, attempt: 1, receivedAt: 0, origin: m };
}

function deliver(handle: MessageHandler, message: IncomingMessage): Array<Disposition | undefined> {
  const seen: Array<Disposition | undefined> = [];
  handle.deliver!(message, (disposition) => void seen.push(disposition));
  return seen;
}

async function settled(seen: unknown[]): Promise<void> {
  for (let i = 0; i < 200 && seen.length === 0; i++) await sleep(5);
}

describe('event runs on the direct path', () => {
  it('sends the events a handler published once it succeeded, then acks', async () => {
    const { handle, sent } = await started(async (_id, publish) => publish());
    const seen = deliver(handle, incoming('o1'));
    await settled(seen);
    expect(seen).toEqual([{ kind: 'ack' }]);
    expect(sent.map((m) => m.headers['ce-type'])).toEqual(['orders.shipped']);
  });

  it('ends a handler that never returns at a forced stop, hands its message back and sends nothing', async () => {
    const { handle, sent } = await started(async (_id, publish) => {
      await publish();
      await new Promise<never>(() => undefined);
    });
    const seen = deliver(handle, incoming('o1'));
    await sleep(10);
    expect(seen).toEqual([]);
    await app!.stop();
    app = undefined;
    expect(seen).toEqual([{ kind: 'retry', delayMs: 0, attempt: 1 }]);
    expect(sent).toEqual([]);
  });

  it('once its events are being sent, waits for the send at a forced stop and acks', async () => {
    const { handle, sent, holdPublishes } = await started(async (_id, publish) => publish());
    let release!: () => void;
    holdPublishes(new Promise<void>((resolve) => (release = resolve)));
    const seen = deliver(handle, incoming('o1'));
    await sleep(10);
    const stopping = app!.stop();
    app = undefined;
    // Past the 50 ms shutdown deadline: the run was aborted while sending, and still waits.
    await sleep(150);
    expect(seen).toEqual([]);
    release();
    await stopping;
    await settled(seen);
    expect(seen).toEqual([{ kind: 'ack' }]);
    expect(sent).toHaveLength(1);
  });

  it('does not start a handler for a delivery that arrives after a forced stop began', async () => {
    let runs = 0;
    const { handle } = await started(async () => {
      runs++;
      await new Promise<never>(() => undefined);
    });
    const first = deliver(handle, incoming('o1'));
    await sleep(10);
    const stopping = app!.stop();
    app = undefined;
    await settled(first);
    const late = deliver(handle, incoming('o2'));
    expect(late).toEqual([{ kind: 'retry', delayMs: 0, attempt: 1 }]);
    expect(runs).toBe(1);
    await stopping;
  });
});
