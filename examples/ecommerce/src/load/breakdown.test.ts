import { createServer, type Server } from 'node:http';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { breakdownOf } from './breakdown.js';

const span = (s: Record<string, unknown>) => ({ traceId: 't1', attributes: {}, ...s });

/** One order's trace as two processes' consoles hold it: orders (and inventory's call), and shipping. */
const ordersSpans = [
  span({
    spanId: 'p',
    parentSpanId: 'load',
    name: 'POST /commands/orders.place',
    kind: 'server',
    service: 'shop-orders',
    startMs: 1000,
    durationMs: 50,
  }),
  span({
    spanId: 'c1',
    parentSpanId: 'p',
    name: 'POST /commands/inventory.reserve',
    kind: 'client',
    service: 'shop-orders',
    startMs: 1005,
    durationMs: 20,
  }),
  span({
    spanId: 's1',
    parentSpanId: 'c1',
    name: 'POST /commands/inventory.reserve',
    kind: 'server',
    service: 'shop-inventory',
    startMs: 1008,
    durationMs: 12,
  }),
  span({
    spanId: 'snd',
    parentSpanId: 'p',
    name: 'send orders.placed',
    kind: 'producer',
    service: 'shop-orders',
    startMs: 1040,
    durationMs: 0,
  }),
];
const shippingSpans = [
  span({
    spanId: 'cons',
    parentSpanId: 'snd',
    name: 'process orders.placed',
    kind: 'consumer',
    service: 'shop-shipping',
    startMs: 1100,
    durationMs: 10,
    attributes: { 'messaging.consumer.group.name': 'shipping', 'messaging.message.id': 'm1' },
  }),
];

function consoleWith(spans: unknown[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/_tandem/api/traces/t1') res.writeHead(200).end(JSON.stringify({ spans }));
    else res.writeHead(404).end('{}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }),
    ),
  );
}

describe('the breakdown of an order from its trace', () => {
  const dispatcher = new Agent();
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) s.close();
    await dispatcher.close();
  });

  it('splits the order into handler, call, client, outbox and broker steps across the processes', async () => {
    const orders = await consoleWith(ordersSpans);
    const shipping = await consoleWith(shippingSpans);
    servers.push(orders.server, shipping.server);
    const breakdown = await breakdownOf(
      [{ traceId: 't1', placeMs: 70 }],
      [orders, shipping],
      dispatcher,
      async (ids) => {
        expect(ids).toEqual(['m1']);
        return new Map([['m1', 1070]]);
      },
    );
    expect(breakdown).toMatchObject({ sampled: 1, complete: 1 });
    const rows = Object.fromEntries(
      breakdown.rows.map((r) => [`${r.phase} ${r.process} ${r.kind} ${r.step}`, r.meanMs]),
    );
    expect(rows).toEqual({
      // The orders span without the inventory call it waited for.
      'sync orders handler POST /commands/orders.place': 30,
      'sync orders call POST /commands/inventory.reserve': 8,
      'sync inventory handler POST /commands/inventory.reserve': 12,
      'sync load client HTTP to orders, queueing, load lag': 20,
      'async shipping handler process orders.placed [shipping]': 10,
      'async shipping outbox orders.placed -> shipping': 30,
      'async shipping broker orders.placed -> shipping': 30,
    });
  });

  it('leaves out an order whose orders.place span is gone from the ring', async () => {
    const shipping = await consoleWith(shippingSpans);
    servers.push(shipping.server);
    const breakdown = await breakdownOf([{ traceId: 't1', placeMs: 70 }], [shipping], dispatcher);
    expect(breakdown).toEqual({ sampled: 1, complete: 0, rows: [] });
  });
});
