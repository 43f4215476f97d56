/**
 * A shop on the in-process broker and the memory store, with its admin routes: its `billing`
 * group handled every order live; `analytics` started after the orders were placed, so it
 * saw none of them until a replay. Both groups record the message ids they handled.
 */
import {
  createApp,
  defineCommand,
  defineEvent,
  MemoryBroker,
  MemoryTransport,
  memoryStore,
  silentLogger,
  type App,
} from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { z } from 'zod';
import { httpServer, type AdminOptions } from '../src/index.js';

export const Placed = defineEvent('orders.placed', { data: z.object({ n: z.number(), key: z.string() }) });
const Place = defineCommand('orders.place', { input: z.object({ n: z.number() }), output: z.object({}) });

/** What one group handled: the order numbers and message ids, in handling order. */
export interface Handled {
  n: number[];
  ids: string[];
}

export interface Shop {
  url: string;
  shop: App;
  billing: Handled;
  analytics: Handled;
  /** Before the first order: a window from here holds every order. */
  since: number;
  /** Places one more order, live. */
  place(n: number): Promise<void>;
  stop(): Promise<void>;
}

function handled(): Handled {
  return { n: [], ids: [] };
}

/** Starts the shop, places `orders` orders over 3 keys, and waits until all are in the outbox history. */
export async function startShop(admin: AdminOptions | undefined, orders: number): Promise<Shop> {
  const broker = new MemoryBroker();
  const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger, ...(admin ? { admin } : {}) });
  const billing = handled();
  const analytics = handled();
  const shop = createApp({
    name: 'shop',
    broker: new MemoryTransport({ broker }),
    store: memoryStore(),
    http: server,
    logger: silentLogger,
  })
    .command(Place, async ({ n }, ctx) => {
      await ctx.publish(Placed, { n, key: `k${n % 3}` }, { key: `k${n % 3}` });
      return {};
    })
    .onEvent(
      Placed,
      (data, ctx) => {
        billing.n.push(data.n);
        billing.ids.push(ctx.meta.messageId);
      },
      { group: 'billing' },
    );
  const late = createApp({ name: 'analytics', broker: new MemoryTransport({ broker }), logger: silentLogger }).onEvent(
    Placed,
    (data, ctx) => {
      analytics.n.push(data.n);
      analytics.ids.push(ctx.meta.messageId);
    },
    { group: 'analytics' },
  );
  const stop = async () => {
    await late.stop();
    await shop.stop();
  };
  try {
    await shop.start();
    const since = Date.now() - 1;
    for (let n = 1; n <= orders; n++) await shop.call(Place, { n });
    await eventually('billing handled every order', () => billing.n.length === orders);
    await eventually('the outbox history holds every order', async () => {
      const dry = await shop.replay({ group: 'billing', types: [Placed.name], since, dryRun: true });
      return dry.matched === orders;
    });
    await late.start();
    const place = async (n: number) => void (await shop.call(Place, { n }));
    return { url: server.url!, shop, billing, analytics, since, place, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
