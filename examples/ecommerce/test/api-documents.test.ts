import SwaggerParser from '@apidevtools/swagger-parser';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { asyncApiDocument, describeApp, eventFlow } from '@tandem/core';
import { openApiDocument } from '@tandem/transport-http';
import { services } from '../src/services/index.js';

describe("the shop's generated API documents", () => {
  const model = describeApp(services);

  it('OpenAPI 3.1 for its commands and queries validates with swagger-parser', async () => {
    const doc = openApiDocument(model, { title: 'shop', version: '1.0.0' });
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(Object.keys(doc.paths as object)).toEqual(
      expect.arrayContaining([
        '/commands/orders.place',
        '/orders/{orderId}',
        '/orders/{orderId}/cancel',
        '/queries/inventory.stock',
      ]),
    );
  });

  it('AsyncAPI 3.0 for its events parses without errors', async () => {
    const doc = asyncApiDocument(model, { title: 'shop', version: '1.0.0' });
    const { diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    const channels = new Set(Object.values(doc.channels as Record<string, { address: string }>).map((c) => c.address));
    expect([...channels].filter((c) => !c.startsWith('tandem.saga.')).sort()).toEqual([
      'inventory.reserved',
      'orders.cancelled',
      'orders.placed',
      'orders.refunded',
      'payments.authorized',
      'payments.failed',
      'shipping.failed',
      'shipping.scheduled',
    ]);
    // The fulfilment saga's own commands, replies and timeouts.
    expect(channels).toContain('tandem.saga.orders.fulfilment');
  });

  it('has no event cycle between services: the shipment flows to the fulfilment saga, not back to orders', () => {
    const flow = eventFlow(model);
    // The saga's messages to itself (commands, replies, timeouts) are its plumbing, not a cycle.
    expect(flow.cycles).toEqual([]);
    expect(flow.edges).toContainEqual({ from: 'orders', to: 'shipping', event: 'orders.placed' });
    expect(flow.edges).toContainEqual({ from: 'shipping', to: 'orders.fulfilment', event: 'shipping.scheduled' });
    expect(flow.edges).toContainEqual({ from: 'inventory', to: 'orders.fulfilment', event: 'inventory.reserved' });
    expect(flow.edges).toContainEqual({ from: 'payments', to: 'orders.fulfilment', event: 'payments.authorized' });
  });
});
