import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent } from '../contracts/contracts.js';
import { silentLogger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import { createApp } from '../runtime/app.js';
import { service } from '../runtime/service.js';
import { MemoryStore } from '../stores/memory-store.js';
import { eventually } from '../testing/harness.js';
import { uniqueSegment } from '../testing/store-harness.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { saga } from './define.js';
import { sagaContracts, type SagaCommandData } from './messages.js';

/**
 * A saga's command waits in a queue (or as a compensation, for days) while a deploy moves the
 * command's input to a new version. The dispatcher that calls it runs the new code: it must
 * upcast the input from the version it was written at, not send it as the current one.
 */
describe('saga commands across a new version of their input', () => {
  function world() {
    const p = uniqueSegment('ver');
    const Placed = defineEvent(`${p}.placed`, { data: z.object({ orderId: z.string() }) });
    // Version 2 added the currency; version 1 senders meant euros.
    const Reserve = defineCommand(`${p}-stock.reserve`, {
      version: 2,
      input: z.object({ orderId: z.string(), currency: z.string() }),
      output: z.object({ ok: z.boolean() }),
      from: {
        1: { input: z.object({ orderId: z.string() }), upcast: (v1) => ({ ...v1, currency: 'EUR' }) },
      },
    });
    const received: unknown[] = [];
    const stock = service(`${p}-stock`).command(Reserve, async (input) => {
      received.push(input);
      return { ok: true };
    });
    const replies: Array<{ ok: boolean; code?: string }> = [];
    const checkout = saga(`${p}-checkout`, { state: z.object({ orderId: z.string() }) })
      .startedBy(
        Placed,
        (e) => e.orderId,
        (e, s) => void s.set({ orderId: e.orderId }).send(Reserve, { orderId: e.orderId, currency: 'USD' }),
      )
      .onReply(Reserve, (reply, s) => {
        replies.push(reply.ok ? { ok: true } : { ok: false, code: reply.error.code });
        s.complete();
      });
    return { Placed, Reserve, stock, checkout, received, replies };
  }

  async function started(w: ReturnType<typeof world>) {
    const broker = new MemoryBroker();
    const app = createApp({
      services: [w.stock, w.checkout],
      broker: new MemoryTransport({ broker }),
      store: new MemoryStore(),
      logger: silentLogger,
    });
    await app.start();
    return { app, broker };
  }

  /** A command message as an instance running the previous deploy left it in the queue. */
  async function leftInQueue(app: Awaited<ReturnType<typeof started>>['app'], saga: string, data: SagaCommandData) {
    const { command } = sagaContracts(saga);
    await app.broker.publish([encodeEvent(command, data, { source: saga, key: data.commandId })]);
  }

  it('a command sent at the current version goes out as it is', async () => {
    const w = world();
    const { app } = await started(w);
    try {
      await app.publish(w.Placed, { orderId: 'o1' });
      await eventually('the reply', () => w.replies.length === 1);
      expect(w.received).toEqual([{ orderId: 'o1', currency: 'USD' }]);
      expect(w.replies).toEqual([{ ok: true }]);
    } finally {
      await app.stop();
    }
  });

  it('a command written at version 1 before the deploy is upcast, then called', async () => {
    const w = world();
    const { app } = await started(w);
    try {
      await app.publish(w.Placed, { orderId: 'o2' });
      await eventually('the first reply', () => w.replies.length === 1);
      await leftInQueue(app, w.checkout.name, {
        saga: w.checkout.name,
        id: 'o2',
        commandId: 'c-old',
        command: w.Reserve.name,
        input: { orderId: 'o2' },
        inputVersion: 1,
      });
      await eventually('the old command called', () => w.received.length === 2);
      expect(w.received[1]).toEqual({ orderId: 'o2', currency: 'EUR' });
    } finally {
      await app.stop();
    }
  });

  it('a command written at a version this deploy does not know fails for good, naming the version', async () => {
    const w = world();
    const { app, broker } = await started(w);
    const replies: Array<Record<string, unknown>> = [];
    const observer = new MemoryTransport({ broker });
    await observer.subscribe(
      { topics: [sagaContracts(w.checkout.name).reply.topic], group: 'observer', concurrency: 1 },
      async (m) => {
        replies.push(JSON.parse(new TextDecoder().decode(m.body)) as Record<string, unknown>);
        return { kind: 'ack' };
      },
    );
    try {
      await leftInQueue(app, w.checkout.name, {
        saga: w.checkout.name,
        id: 'o3',
        commandId: 'c-new',
        command: w.Reserve.name,
        input: { orderId: 'o3', currency: 'USD', region: 'eu' },
        inputVersion: 3,
      });
      await eventually('the failed reply', () => replies.some((r) => r.commandId === 'c-new'));
      const reply = replies.find((r) => r.commandId === 'c-new')!;
      expect(reply).toMatchObject({ ok: false, error: { code: 'TANDEM_UNSUPPORTED_VERSION', uncertain: false } });
      expect(String((reply.error as { message: string }).message)).toContain('3');
      expect(w.received).toEqual([]);
    } finally {
      await observer.close();
      await app.stop();
    }
  });
});
