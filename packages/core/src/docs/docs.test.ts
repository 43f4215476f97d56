import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { describeApp } from './app-model.js';
import { asyncApiDocument } from './asyncapi.js';
import { eventFlow } from './event-flow.js';
import { shopServices } from './docs.fixture.js';

describe('generated documents', () => {
  const model = describeApp(shopServices);

  it('attributes publishers by declaration, else by the name owner, and lists consumers by group', () => {
    const byName = Object.fromEntries(model.events.map((e) => [e.contract.name, e]));
    expect(byName['orders.placed']!.publishers).toEqual(['orders']);
    expect(byName['orders.placed']!.consumers.map((c) => c.group).sort()).toEqual([
      'billing',
      'notifications',
      'shipping',
    ]);
    expect(byName['shipping.scheduled']!.publishers).toEqual(['shipping']);
    // Declared by nobody: the owning service by name.
    expect(byName['ledger.posted']!.publishers).toEqual(['ledger']);
    expect(model.sync.map((s) => s.contract.name)).toEqual(['orders.cancel', 'orders.get', 'orders.place']);
  });

  it('writes an AsyncAPI 3.0 document that the AsyncAPI parser accepts without errors', async () => {
    const doc = asyncApiDocument(model, {
      title: 'shop',
      version: '1.0.0',
      servers: { local: { host: 'localhost:9092', protocol: 'kafka' } },
    });
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors).toEqual([]);
    expect(document).toBeDefined();
    expect(
      document!
        .channels()
        .all()
        .map((c) => c.address())
        .sort(),
    ).toEqual(['billing.invoiced', 'ledger.posted', 'orders.placed', 'shipping.scheduled']);
    const actions = document!
      .operations()
      .all()
      .map((o) => `${o.action()} ${o.channels().all()[0]!.address()}`);
    expect(actions).toContain('send orders.placed');
    expect(actions).toContain('receive orders.placed');
    const payload = doc.components as { messages: Record<string, { payload: { schema: { required: string[] } } }> };
    expect(payload.messages['orders.placed.v1']!.payload.schema.required).toEqual(['orderId', 'sku']);
    expect(Object.keys(payload.messages)).toContain('shipping.scheduled.v2');
  });

  it('describes structured-mode messages: the JSON event format around the data, trace context as headers', async () => {
    const doc = asyncApiDocument(model, { title: 'shop', version: '1.0.0', contentMode: 'structured' });
    const { diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    expect(doc.defaultContentType).toBe('application/cloudevents+json');
    interface Schema {
      required?: string[];
      properties: Record<string, Schema>;
    }
    interface Message {
      contentType: string;
      correlationId: unknown;
      headers: { schema: Schema };
      payload: { schema: Schema };
    }
    const messages = (doc.components as { messages: Record<string, Message> }).messages;
    const placed = messages['orders.placed.v1']!;
    expect(placed.contentType).toBe('application/cloudevents+json');
    expect(placed.correlationId).toEqual({ location: '$message.payload#/id' });
    expect(Object.keys(placed.headers.schema.properties)).toEqual(['traceparent', 'tracestate']);
    const payload = placed.payload.schema;
    expect(payload.required).toEqual(['specversion', 'id', 'source', 'type']);
    expect(payload.properties.data!.required).toEqual(['orderId', 'sku']);
    expect(messages['shipping.scheduled.v1']!.payload.schema.properties.data).toBeDefined();
  });

  it('documents an event version and the older versions its consumers accept, received but never sent', async () => {
    const doc = asyncApiDocument(model, { title: 'shop', version: '1.0.0' });
    const { document } = await new Parser().parse(JSON.stringify(doc));
    const messages = (doc.components as { messages: Record<string, Record<string, unknown>> }).messages;
    expect(messages['shipping.scheduled.v2']).toMatchObject({ 'x-version': 2, 'x-accepts-versions': [1] });
    expect(messages['shipping.scheduled.v1']).toMatchObject({
      'x-version': 1,
      'x-dataschema': 'urn:tandem:event:shipping.scheduled:v1',
    });
    const operations = document!.operations().all();
    const on = (action: string) =>
      operations
        .filter((o) => o.action() === action && o.channels().all()[0]!.address() === 'shipping.scheduled')
        .flatMap((o) =>
          o
            .messages()
            .all()
            .map((m) => m.id()),
        );
    expect(on('send')).toEqual(['shipping.scheduled.v2']);
    expect(new Set(on('receive'))).toEqual(new Set(['shipping.scheduled.v2', 'shipping.scheduled.v1']));
  });

  it('draws the event flow between services and flags the billing ⇄ ledger cycle', () => {
    const flow = eventFlow(model);
    expect(flow.edges).toContainEqual({ from: 'orders', to: 'shipping', event: 'orders.placed' });
    expect(flow.edges).toContainEqual({ from: 'shipping', to: 'notifications', event: 'shipping.scheduled' });
    expect(flow.cycles).toEqual([['billing', 'ledger', 'billing']]);
    expect(flow.mermaid).toContain('billing ==>|billing.invoiced| ledger');
    expect(flow.mermaid).toContain('orders -->|orders.placed| shipping');
  });
});
