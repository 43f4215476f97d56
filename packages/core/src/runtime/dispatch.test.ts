import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createApp,
  defineCommand,
  defineEvent,
  MemoryBroker,
  MemoryTransport,
  service,
  silentLogger,
  type InvokeReply,
  type ServiceBuilder,
  type SyncHost,
  type SyncServer,
} from '../index.js';

const Place = defineCommand('orders.place', {
  input: z.object({ sku: z.string() }),
  output: z.object({ id: z.string() }),
});
const Placed = defineEvent('orders.placed', { data: z.object({ id: z.string() }) });

/**
 * Starts an app with `orders` behind a server that only keeps the host it is given, to
 * dispatch to it as a real server would.
 */
async function startWith(
  orders: ServiceBuilder,
  options: { broker?: MemoryTransport; shutdownTimeoutMs?: number } = {},
) {
  let host: SyncHost | undefined;
  const http: SyncServer = {
    name: 'capture',
    async start(given) {
      host = given;
    },
    async stop() {},
  };
  const app = createApp({
    services: [orders],
    broker: options.broker ?? new MemoryTransport({ broker: new MemoryBroker() }),
    http,
    logger: silentLogger,
    ...(options.shutdownTimeoutMs !== undefined ? { shutdownTimeoutMs: options.shutdownTimeoutMs } : {}),
  });
  await app.start();
  return {
    app,
    dispatch: (input: unknown, reply: InvokeReply) =>
      host!.dispatch(host!.endpoints[0]!, input, { headers: {} }, reply),
  };
}

/** A reply that records its calls, as a promise of the first. */
function recordingReply() {
  const calls: Array<['resolve' | 'reject', unknown]> = [];
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const reply: InvokeReply = {
    resolve(result) {
      calls.push(['resolve', result]);
      settle();
    },
    reject(error) {
      calls.push(['reject', error]);
      settle();
    },
  };
  return { reply, calls, settled };
}

describe('SyncHost.dispatch', () => {
  it('answers through the reply, once, after the events the handler published were sent', async () => {
    const broker = new MemoryTransport({ broker: new MemoryBroker() });
    const sent: string[] = [];
    const publish = broker.publish.bind(broker);
    broker.publish = async (messages) => {
      await publish(messages);
      for (const m of messages) sent.push(m.topic);
    };
    const orders = service('orders').command(Place, async ({ sku }, ctx) => {
      await ctx.publish(Placed, { id: `o-${sku}` });
      return { id: `o-${sku}` };
    });
    const { app, dispatch } = await startWith(orders, { broker });
    try {
      const { reply, calls, settled } = recordingReply();
      const sentWhenAnswered: string[][] = [];
      const wrapped: InvokeReply = {
        resolve: (r) => (sentWhenAnswered.push([...sent]), reply.resolve(r)),
        reject: (e) => reply.reject(e),
      };
      dispatch({ sku: 'a' }, wrapped);
      await settled;
      expect(calls).toEqual([['resolve', { id: 'o-a' }]]);
      expect(sentWhenAnswered).toEqual([['orders.placed']]);
    } finally {
      await app.stop();
    }
  });

  it('rejects with the broker error when the events cannot be sent', async () => {
    const broker = new MemoryTransport({ broker: new MemoryBroker() });
    broker.publish = () => Promise.reject(new Error('broker unreachable'));
    const orders = service('orders').command(Place, async ({ sku }, ctx) => {
      await ctx.publish(Placed, { id: sku });
      return { id: sku };
    });
    const { app, dispatch } = await startWith(orders, { broker, shutdownTimeoutMs: 5_000 });
    const { reply, calls, settled } = recordingReply();
    dispatch({ sku: 'a' }, reply);
    await settled;
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toBe('reject');
    expect((calls[0]![1] as Error).message).toBe('broker unreachable');
    // The failed run left the in-flight count: stop does not wait out its deadline.
    const started = Date.now();
    await app.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('turns a handler that throws synchronously into a rejection, and counts the run finished', async () => {
    const orders = service('orders').command(Place, (() => {
      throw new Error('not even a promise');
    }) as never);
    const { app, dispatch } = await startWith(orders, { shutdownTimeoutMs: 5_000 });
    const { reply, calls, settled } = recordingReply();
    dispatch({ sku: 'a' }, reply);
    await settled;
    expect(calls.map(([kind]) => kind)).toEqual(['reject']);
    expect((calls[0]![1] as Error).message).toBe('not even a promise');
    await expect(app.call(Place, { sku: 'b' })).rejects.toThrow('not even a promise');
    const started = Date.now();
    await app.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses with ShuttingDownError once the app is stopping', async () => {
    const orders = service('orders').command(Place, async ({ sku }) => ({ id: sku }));
    const { app, dispatch } = await startWith(orders);
    await app.stop();
    const { reply, calls, settled } = recordingReply();
    dispatch({ sku: 'a' }, reply);
    await settled;
    expect(calls[0]![0]).toBe('reject');
    expect((calls[0]![1] as { code: string }).code).toBe('TANDEM_SHUTTING_DOWN');
  });
});
