import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createApp,
  defineCommand,
  defineEvent,
  defineQuery,
  Header,
  MemoryBroker,
  MemoryTransport,
  NonRetryableError,
  service,
  silentLogger,
  TimeoutError,
  ValidationError,
  type Middleware,
  type Invocation,
} from '../index.js';
import { eventually, sleep } from '../testing/harness.js';

const Place = defineCommand('orders.place', {
  input: z.object({ sku: z.string() }),
  output: z.object({ id: z.string() }),
});
const Count = defineQuery('shipping.count', { input: z.object({}), output: z.object({ shipped: z.number() }) });
const Placed = defineEvent('orders.placed', { data: z.object({ id: z.string(), sku: z.string() }) });

function isolated() {
  return new MemoryTransport({ broker: new MemoryBroker() });
}

describe('app on the in-process broker', () => {
  it('runs the hybrid flow: a command publishes, another service consumes, a query sees the effect', async () => {
    const shipped: string[] = [];
    const seen: Array<{ correlationId: string; causationId?: string; source?: string; subject?: string }> = [];
    const orders = service('orders').command(Place, async ({ sku }, ctx) => {
      const id = `o-${sku}`;
      await ctx.publish(Placed, { id, sku }, { key: id });
      return { id };
    });
    const shipping = service('shipping')
      .onEvent(Placed, async ({ id }, ctx) => {
        shipped.push(id);
        seen.push({
          correlationId: ctx.meta.correlationId,
          causationId: ctx.meta.causationId,
          source: ctx.meta.event?.source,
          subject: ctx.meta.event?.subject,
        });
      })
      .query(Count, async () => ({ shipped: shipped.length }));
    const app = createApp({ services: [orders, shipping], broker: isolated(), logger: silentLogger });
    await app.start();
    try {
      expect(await app.call(Place, { sku: 'a' })).toEqual({ id: 'o-a' });
      await eventually('shipped', () => shipped.length === 1);
      expect(await app.call(Count, {})).toEqual({ shipped: 1 });
      expect(seen[0]).toMatchObject({ source: 'orders', subject: 'o-a' });
      expect(seen[0]!.causationId).toBeDefined();
      // The event carries the command's conversation, which is not its own id, so it is on the wire.
      expect(seen[0]!.correlationId).toBe(seen[0]!.causationId);
    } finally {
      await app.stop();
    }
  });

  it('gives an event published outside any handler its own id as correlation id', async () => {
    const seen: Array<{ messageId: string; correlationId: string }> = [];
    const app = createApp({
      broker: isolated(),
      logger: silentLogger,
      services: [service('audit').onEvent(Placed, async (_, ctx) => void seen.push(ctx.meta))],
    });
    await app.start();
    try {
      await app.publish(Placed, { id: 'p1', sku: 'a' });
      await eventually('handled', () => seen.length === 1);
      expect(seen[0]!.correlationId).toBe(seen[0]!.messageId);
    } finally {
      await app.stop();
    }
  });

  it('sends nothing when the handler that published throws', async () => {
    const broker = isolated();
    const received: string[] = [];
    const app = createApp({
      broker,
      logger: silentLogger,
      services: [
        service('orders').command(Place, async ({ sku }, ctx) => {
          await ctx.publish(Placed, { id: sku, sku });
          throw new Error('write failed');
        }),
        service('audit').onEvent(Placed, async ({ id }) => void received.push(id)),
      ],
    });
    await app.start();
    await expect(app.call(Place, { sku: 'x' })).rejects.toThrow('write failed');
    await sleep(50);
    expect(received).toEqual([]);
    await app.stop();
  });

  it('retries immediately, then through the broker with backoff, then dead-letters with the attempt count', async () => {
    const broker = isolated();
    const attempts: Array<{ attempt: number; at: number }> = [];
    const app = createApp({
      broker,
      logger: silentLogger,
      services: [
        service('flaky').onEvent(
          Placed,
          async (_data, ctx) => {
            attempts.push({ attempt: ctx.meta.attempt, at: Date.now() });
            throw new Error('downstream down');
          },
          { retry: { attempts: 4, immediateRetries: 1, initialDelayMs: 60, factor: 2, jitter: 'none' } },
        ),
      ],
    });
    await app.start();
    await app.publish(Placed, { id: '1', sku: 's' }, { key: '1' });
    await eventually('dead letter', async () => (await broker.deadLetters.list('flaky')).length === 1);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    expect(gaps[0]).toBeLessThan(40);
    expect(gaps[1]).toBeGreaterThanOrEqual(55);
    expect(gaps[2]).toBeGreaterThanOrEqual(115);
    const [letter] = await broker.deadLetters.list('flaky');
    expect(letter).toMatchObject({ reason: 'attempts-exhausted', attempts: 4 });
    expect(letter!.error).toContain('downstream down');
    await app.stop();
  });

  it('dead-letters at once for NonRetryableError, data failing the schema, and malformed messages', async () => {
    const broker = isolated();
    let runs = 0;
    const app = createApp({
      broker,
      logger: silentLogger,
      services: [
        service('strict').onEvent(Placed, async ({ sku }) => {
          runs++;
          if (sku === 'bad') throw new NonRetryableError('sku is discontinued');
        }),
      ],
    });
    await app.start();
    await app.publish(Placed, { id: '1', sku: 'bad' });
    const valid = (await import('../messages/envelope.js')).encodeEvent(Placed, { id: 2 }, { source: 'test' });
    await broker.publish([valid]);
    await broker.publish([
      { topic: Placed.topic, headers: { [Header.id]: 'no-type' }, body: new TextEncoder().encode('{}') },
    ]);
    await broker.publish([
      { ...valid, headers: { ...valid.headers, [Header.id]: 'not-json' }, body: new TextEncoder().encode('{oops') },
    ]);
    await eventually('4 dead letters', async () => (await broker.deadLetters.list('strict')).length === 4);
    const reasons = (await broker.deadLetters.list('strict')).map((l) => l.reason).sort();
    expect(reasons).toEqual([
      'malformed',
      'malformed',
      'non-retryable: TANDEM_NON_RETRYABLE',
      'non-retryable: TANDEM_VALIDATION',
    ]);
    expect(runs).toBe(1);
    await app.stop();
  });

  it('turns a handler deadline into TimeoutError and an aborted ctx.signal', async () => {
    let aborted: unknown;
    const app = createApp({
      broker: isolated(),
      logger: silentLogger,
      services: [
        service('orders').command(
          Place,
          async (_input, ctx) => {
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            aborted = ctx.signal.reason;
            return { id: 'late' };
          },
          { timeoutMs: 50 },
        ),
      ],
    });
    await app.start();
    await expect(app.call(Place, { sku: 'a' })).rejects.toBeInstanceOf(TimeoutError);
    expect(aborted).toBeInstanceOf(TimeoutError);
    await app.stop();
  });

  it('validates input and, outside production, output', async () => {
    const app = createApp({
      broker: isolated(),
      logger: silentLogger,
      services: [service('orders').command(Place, async () => ({ id: 42 }) as unknown as { id: string })],
    });
    await app.start();
    await expect(app.call(Place, { sku: 1 } as unknown as { sku: string })).rejects.toBeInstanceOf(ValidationError);
    await expect(app.call(Place, { sku: 'a' })).rejects.toThrow(/returned output that does not match 'orders.place'/);
    await app.stop();
  });

  it('runs app middleware around every handler, sync and async, outermost first', async () => {
    const trail: string[] = [];
    const mw =
      (name: string): Middleware<Invocation> =>
      async (inv, next) => {
        trail.push(`${name}>${inv.contract.name}`);
        const result = await next();
        trail.push(`${name}<${inv.contract.name}`);
        return result;
      };
    const app = createApp({
      broker: isolated(),
      logger: silentLogger,
      middleware: [mw('outer'), mw('inner')],
      services: [
        service('orders').command(
          Place,
          async ({ sku }, ctx) => (await ctx.publish(Placed, { id: sku, sku }), { id: sku }),
        ),
        service('audit').onEvent(Placed, async () => void trail.push('handler>orders.placed')),
      ],
    });
    await app.start();
    await app.call(Place, { sku: 'm' });
    await eventually('event handled', () => trail.includes('outer<orders.placed'));
    await app.stop();
    const of = (contract: string) => trail.filter((t) => t.endsWith(contract));
    expect(of('orders.place')).toEqual([
      'outer>orders.place',
      'inner>orders.place',
      'inner<orders.place',
      'outer<orders.place',
    ]);
    expect(of('orders.placed')).toEqual([
      'outer>orders.placed',
      'inner>orders.placed',
      'handler>orders.placed',
      'inner<orders.placed',
      'outer<orders.placed',
    ]);
  });

  it('offers the plain-function twins on the app itself', async () => {
    const app = createApp({ broker: isolated(), logger: silentLogger, name: 'solo' }).command(
      Place,
      async ({ sku }) => ({ id: sku }),
    );
    await app.start();
    expect(await app.call(Place, { sku: 'p' })).toEqual({ id: 'p' });
    expect(() => app.command(Place, async () => ({ id: '' }))).toThrow(/after start/);
    await app.stop();
  });
});

describe('app.publish', () => {
  it('validates the data against the contract: invalid data is refused with its issues and nothing is sent', async () => {
    const broker = isolated();
    const sent: unknown[] = [];
    const publish = broker.publish.bind(broker);
    broker.publish = (messages) => (sent.push(...messages), publish(messages));
    const app = createApp({ broker, logger: silentLogger });
    await app.start();
    const error = await app.publish(Placed, { id: 1 } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(z.ZodError);
    expect((error as z.ZodError).issues.map((i) => i.path.join('.'))).toEqual(['id', 'sku']);
    expect(sent).toEqual([]);
    await app.publish(Placed, { id: '1', sku: 's', extra: true } as never);
    expect(JSON.parse(Buffer.from((sent[0] as { body: Uint8Array }).body).toString())).toEqual({ id: '1', sku: 's' });
    await app.stop();
  });

  it('parses a schema with an async refinement on the async path', async () => {
    const Checked = defineEvent('orders.checked', {
      data: z.object({ id: z.string() }).refine(async (d) => d.id !== 'no', 'refused'),
    });
    const app = createApp({ broker: isolated(), logger: silentLogger });
    await app.start();
    await expect(app.publish(Checked, { id: 'no' })).rejects.toThrow('refused');
    await expect(app.publish(Checked, { id: 'yes' })).resolves.toBeUndefined();
    await app.stop();
  });
});
