/**
 * `transaction: 'deferred'`: a command's transaction opens when the handler asks for it, so
 * the calls it makes first hold no transaction (and, on a SQL store, no pooled connection).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createApp,
  defineCommand,
  defineEvent,
  MemoryBroker,
  memoryStore,
  MemoryTransport,
  RegistrationError,
  service,
  silentLogger,
  TimeoutError,
  TransactionClosedError,
  UnavailableError,
  type HandlerContext,
  type MemoryStore,
  type MemoryTx,
  type ServiceDefinition,
} from '../index.js';
import { deferred, eventually, sleep } from '../testing/harness.js';

const Reserve = defineCommand('stock.reserve', {
  input: z.object({ sku: z.string() }),
  output: z.object({ ok: z.boolean() }),
});
const Place = defineCommand('orders.place', {
  input: z.object({ sku: z.string(), fail: z.boolean().default(false) }),
  output: z.object({ ok: z.boolean() }),
});
const Reserved = defineEvent('stock.reserved', { data: z.object({ sku: z.string() }) });
const Placed = defineEvent('orders.placed', { data: z.object({ sku: z.string() }) });

/** A memory store that counts the transactions open at once. */
function countingStore(): { store: MemoryStore; open: () => number; opened: () => number } {
  const store = memoryStore();
  const transaction = store.transaction.bind(store);
  let open = 0;
  let opened = 0;
  store.transaction = async <T>(fn: (tx: MemoryTx) => Promise<T>): Promise<T> => {
    open++;
    opened++;
    try {
      return await transaction(fn);
    } finally {
      open--;
    }
  };
  return { store, open: () => open, opened: () => opened };
}

/** Writes `what` when `ctx`'s transaction commits. */
function write(tx: unknown, committed: string[], what: string): void {
  (tx as MemoryTx).onSettle((ok) => ok && committed.push(what));
}

async function withApp(
  services: ServiceDefinition[],
  store: MemoryStore,
  body: (app: ReturnType<typeof createApp>) => Promise<void>,
) {
  const broker = new MemoryTransport({ broker: new MemoryBroker() });
  const app = createApp({ services, broker, store, logger: silentLogger });
  await app.start();
  try {
    await body(app);
  } finally {
    await app.stop();
  }
}

function stockService(committed: string[], seenOpen?: () => void) {
  return service('stock').command(Reserve, async ({ sku }, ctx) => {
    seenOpen?.();
    write(ctx.tx, committed, `reserved ${sku}`);
    await ctx.publish(Reserved, { sku });
    return { ok: true };
  });
}

describe("a command with transaction: 'deferred'", () => {
  it('holds no transaction while it calls; the callee commits on its own, not joined', async () => {
    const { store, open } = countingStore();
    const committed: string[] = [];
    const seen: string[] = [];
    const openDuringCall: number[] = [];
    const stock = stockService(committed, () => openDuringCall.push(open()));
    const orders = service('orders')
      .command(
        Place,
        async ({ sku, fail }, ctx) => {
          expect(ctx.tx).toBeUndefined();
          await ctx.call(Reserve, { sku });
          const tx = await ctx.transaction();
          expect(tx).toBe(ctx.tx);
          write(tx, committed, `placed ${sku}`);
          await ctx.publish(Placed, { sku });
          if (fail) throw new Error('the caller failed after the call');
          return { ok: true };
        },
        { transaction: 'deferred' },
      )
      .onEvent(Reserved, ({ sku }) => void seen.push(`reserved ${sku}`))
      .onEvent(Placed, ({ sku }) => void seen.push(`placed ${sku}`));
    await withApp([stock, orders], store, async (app) => {
      await expect(app.call(Place, { sku: 'tea' })).resolves.toEqual({ ok: true });
      // Only the callee's own transaction was open while it ran: the caller had not opened one.
      expect(openDuringCall).toEqual([1]);
      expect(committed).toEqual(['reserved tea', 'placed tea']);
      // The caller fails after its call: the callee's writes and events stand (the caller must
      // undo them, as with a call to another process); the caller's own are rolled back.
      await expect(app.call(Place, { sku: 'mug', fail: true })).rejects.toThrow(/caller failed/);
      expect(committed).toEqual(['reserved tea', 'placed tea', 'reserved mug']);
      await eventually('the events handled', () => seen.length === 3);
      await sleep(100);
      expect(seen.sort()).toEqual(['placed tea', 'reserved mug', 'reserved tea']);
    });
  });

  it('joins the caller as before once its transaction is open', async () => {
    const { store, open } = countingStore();
    const committed: string[] = [];
    const openDuringCall: number[] = [];
    const stock = stockService(committed, () => openDuringCall.push(open()));
    const orders = service('orders').command(
      Place,
      async ({ sku, fail }, ctx) => {
        await ctx.transaction();
        await ctx.call(Reserve, { sku });
        if (fail) throw new Error('the caller failed after the call');
        return { ok: true };
      },
      { transaction: 'deferred' },
    );
    await withApp([stock, orders], store, async (app) => {
      await expect(app.call(Place, { sku: 'mug', fail: true })).rejects.toThrow(/caller failed/);
      expect(openDuringCall).toEqual([1]);
      expect(committed).toEqual([]);
    });
  });

  it('commits the events published before the transaction opened with the writes made after', async () => {
    const { store } = countingStore();
    const committed: string[] = [];
    const seen: string[] = [];
    const orders = service('orders')
      .command(
        Place,
        async ({ sku, fail }, ctx) => {
          await ctx.publish(Placed, { sku });
          write(await ctx.transaction(), committed, `placed ${sku}`);
          if (fail) throw new Error('failed after its write');
          return { ok: true };
        },
        { transaction: 'deferred' },
      )
      .onEvent(Placed, ({ sku }) => void seen.push(sku));
    await withApp([orders], store, async (app) => {
      await expect(app.call(Place, { sku: 'mug', fail: true })).rejects.toThrow(/failed after its write/);
      await expect(app.call(Place, { sku: 'tea' })).resolves.toEqual({ ok: true });
      await eventually('the event handled', () => seen.length === 1);
      await sleep(100);
      expect(seen).toEqual(['tea']);
      expect(committed).toEqual(['placed tea']);
    });
  });

  it('opens one after the handler only when there is something to record', async () => {
    const { store, opened } = countingStore();
    const outbox = store.outbox!;
    const append = outbox.append.bind(outbox);
    const appended: string[] = [];
    outbox.append = (tx, messages) => {
      appended.push(...messages.map((m) => m.topic));
      return append(tx, messages);
    };
    let runs = 0;
    const orders = service('orders').command(
      Place,
      async ({ sku, fail }, ctx) => {
        runs++;
        if (fail) await ctx.publish(Placed, { sku });
        return { ok: true };
      },
      { transaction: 'deferred' },
    );
    await withApp([orders], store, async (app) => {
      await app.call(Place, { sku: 'tea' });
      expect(opened()).toBe(0);
      // Its events go to the outbox, in a transaction opened after the handler returned.
      await app.call(Place, { sku: 'mug', fail: true });
      expect(opened()).toBe(1);
      expect(appended).toEqual(['orders.placed']);
      // An idempotency key is recorded in one too, and replayed.
      await app.call(Place, { sku: 'cup' }, { idempotencyKey: 'k1' });
      await app.call(Place, { sku: 'cup' }, { idempotencyKey: 'k1' });
      expect(opened()).toBe(2);
      expect(runs).toBe(3);
    });
  });

  it('refuses ctx.transaction() after the deadline, and rolls back an open one at it', async () => {
    const { store } = countingStore();
    const committed: string[] = [];
    const late = deferred<unknown>();
    const release = deferred();
    const orders = service('orders').command(
      Place,
      async ({ sku, fail }, ctx) => {
        if (fail) {
          write(await ctx.transaction(), committed, `placed ${sku}`);
          await release.promise;
          return { ok: true };
        }
        await release.promise;
        late.resolve(await ctx.transaction().catch((error: unknown) => error));
        return { ok: true };
      },
      { transaction: 'deferred', timeoutMs: 50 },
    );
    await withApp([orders], store, async (app) => {
      await expect(app.call(Place, { sku: 'tea' })).rejects.toBeInstanceOf(TimeoutError);
      await expect(app.call(Place, { sku: 'mug', fail: true })).rejects.toBeInstanceOf(TimeoutError);
      release.resolve();
      expect(await late.promise).toBeInstanceOf(TransactionClosedError);
      await sleep(50);
      expect(committed).toEqual([]);
    });
  });
});

describe('a deferred transaction that cannot open', () => {
  it("fails the handler's await of ctx.transaction() with the store's error", async () => {
    const store = memoryStore();
    store.transaction = () => Promise.reject(new UnavailableError('the database is down'));
    let seen: unknown;
    const orders = service('orders').command(
      Place,
      async (_input, ctx) => {
        seen = await ctx.transaction().catch((error: unknown) => error);
        throw seen;
      },
      { transaction: 'deferred' },
    );
    await withApp([orders], store, async (app) => {
      await expect(app.call(Place, { sku: 'tea' })).rejects.toBeInstanceOf(UnavailableError);
      expect(seen).toBeInstanceOf(UnavailableError);
    });
  });
});

describe('ctx.transaction()', () => {
  it('is ctx.tx at once in a handler whose transaction is immediate, and undefined without a store', async () => {
    const answers: unknown[] = [];
    const handler = async (_input: unknown, ctx: HandlerContext) => {
      answers.push((await ctx.transaction()) === ctx.tx, ctx.tx === undefined);
      return { ok: true };
    };
    const withStore = createApp({
      services: [service('orders').command(Place, handler)],
      store: memoryStore(),
      logger: silentLogger,
    });
    await withStore.start();
    await withStore.call(Place, { sku: 'tea' });
    await withStore.stop();
    const without = createApp({ services: [service('orders').command(Place, handler)], logger: silentLogger });
    await without.start();
    await without.call(Place, { sku: 'tea' });
    await without.stop();
    expect(answers).toEqual([true, false, true, true]);
  });
});

describe("the transaction option's checks at start", () => {
  it('refuses a deferred event handler and an unknown mode', async () => {
    const events = service('orders').onEvent(Placed, () => undefined, { transaction: 'deferred' });
    const withEvent = createApp({ services: [events], store: memoryStore(), logger: silentLogger });
    const refused = await withEvent.start().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RegistrationError);
    expect((refused as Error).message).toMatch(/'deferred' is for commands and queries/);
    const unknown = service('orders').command(Place, () => ({ ok: true }), {
      transaction: 'lazy' as 'deferred',
    });
    const withUnknown = createApp({ services: [unknown], store: memoryStore(), logger: silentLogger });
    await expect(withUnknown.start()).rejects.toThrow(/transaction must be 'immediate' or 'deferred', got "lazy"/);
  });
});
