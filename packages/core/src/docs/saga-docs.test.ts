import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { describeApp } from './app-model.js';
import { asyncApiDocument, INTERNAL_TAG } from './asyncapi.js';
import { sagaServices } from './docs.fixture.js';
import { eventFlow } from './event-flow.js';

describe('generated documents of an app with sagas', () => {
  const model = describeApp(sagaServices);

  it('describes each saga: the events that drive it, the commands it sends, its own messages apart', () => {
    expect(model.sagas.map((s) => s.name)).toEqual(['fulfilment', 'refunds']);
    const [fulfilment, refunds] = model.sagas;
    expect(fulfilment!.consumes.map((c) => [c.contract.name, c.starts])).toEqual([
      ['orders.placed', true],
      ['shipping.scheduled', false],
    ]);
    expect(fulfilment!.sends.map((c) => c.name)).toEqual(['stock.release', 'stock.reserve']);
    expect(fulfilment!.internal.map((u) => [u.contract.name, u.contract.topic])).toEqual([
      ['tandem.saga.command', 'tandem.saga.fulfilment.commands'],
      ['tandem.saga.reply', 'tandem.saga.fulfilment'],
      ['tandem.saga.timeout', 'tandem.saga.fulfilment'],
    ]);
    expect(fulfilment!.internal.flatMap((u) => u.consumers.map((c) => c.group)).sort()).toEqual([
      'fulfilment',
      'fulfilment',
      'fulfilment.commands',
    ]);
    // No timeouts declared, so no timeout messages.
    expect(refunds!.internal.map((u) => u.contract.topic)).toEqual([
      'tandem.saga.refunds.commands',
      'tandem.saga.refunds',
    ]);
    // Plumbing is not an event of the app; the saga consumes the shop's events like any service.
    expect(model.events.map((e) => e.contract.name)).not.toContain('tandem.saga.reply');
    const placed = model.events.find((e) => e.contract.name === 'orders.placed')!;
    expect(placed.consumers).toContainEqual(expect.objectContaining({ service: 'fulfilment', group: 'fulfilment' }));
  });

  it('draws a saga as a hexagon with the events it consumes and dotted edges for the commands it sends', () => {
    const flow = eventFlow(model);
    expect(flow.mermaid).toContain('  fulfilment{{"saga fulfilment"}}\n');
    expect(flow.mermaid).toContain('  refunds{{"saga refunds"}}\n');
    expect(flow.mermaid).toContain('  stock[stock]\n');
    expect(flow.mermaid).toContain('orders -->|orders.placed| fulfilment');
    expect(flow.mermaid).toContain('shipping -->|shipping.scheduled| fulfilment');
    expect(flow.mermaid).toContain('fulfilment -.->|stock.reserve| stock');
    expect(flow.mermaid).toContain('fulfilment -.->|stock.release| stock');
    // Served by no service here: drawn to the service that owns the name.
    expect(flow.mermaid).toContain('refunds -.->|payments.refund| payments');
    expect(flow.mermaid).toContain('  payments[payments]\n');
    expect(flow.mermaid).not.toContain('tandem.saga');
    expect(flow.commands).toContainEqual({ saga: 'fulfilment', to: 'stock', command: 'stock.reserve' });
    // A saga's replies to itself are no cycle; the shop's own cycle is still found.
    expect(flow.cycles).toEqual([['billing', 'ledger', 'billing']]);
  });

  it('lists each saga’s own channels as internal, apart per saga, in a document the AsyncAPI parser accepts', async () => {
    const doc = asyncApiDocument(model, { title: 'shop', version: '1.0.0' });
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    const channels = document!.channels().all();
    const tagsOf = (c: (typeof channels)[number]) => (c.json() as { tags?: Array<{ name: string }> }).tags ?? [];
    const internal = channels.filter((c) => tagsOf(c).some((t) => t.name === INTERNAL_TAG));
    expect(internal.map((c) => c.address()).sort()).toEqual([
      'tandem.saga.fulfilment',
      'tandem.saga.fulfilment',
      'tandem.saga.fulfilment.commands',
      'tandem.saga.refunds',
      'tandem.saga.refunds.commands',
    ]);
    for (const c of internal) expect(c.description()).toMatch(/^Internal to saga '(fulfilment|refunds)'/);
    const others = channels.filter((c) => !internal.includes(c)).map((c) => c.address());
    expect(others.every((a) => !a!.startsWith('tandem.saga.'))).toBe(true);
    expect(others).toContain('orders.placed');

    const operations = document!
      .operations()
      .all()
      .map((o) => `${o.action()} ${o.channels().all()[0]!.address()} ${o.id()}`);
    expect(operations).toContain('receive orders.placed fulfilment.receive.orders.placed');
    expect(operations).toContain('send tandem.saga.fulfilment.commands fulfilment.send.fulfilment.tandem.saga.command');
    expect(operations).toContain(
      'receive tandem.saga.fulfilment.commands fulfilment.commands.receive.tandem.saga.command',
    );
    expect(operations).toContain('receive tandem.saga.refunds refunds.receive.tandem.saga.reply');
    const messages = Object.keys((doc.components as { messages: object }).messages);
    expect(messages).toEqual(
      expect.arrayContaining(['fulfilment.tandem.saga.reply.v1', 'refunds.tandem.saga.reply.v1']),
    );
  });
});
