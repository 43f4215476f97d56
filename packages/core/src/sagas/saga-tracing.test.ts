/**
 * One trace across a saga: the step a message drives is a consumer span, a child of the
 * span that sent the message, and the commands the step sends and the replies that come back
 * continue the same trace (through the outbox and the dispatcher).
 */
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { createApp } from '../runtime/app.js';
import { MemoryStore } from '../stores/memory-store.js';
import { eventually } from '../testing/harness.js';
import { checkoutWorld } from '../testing/saga-fixture.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { sagaTopic } from './messages.js';

const spans = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

describe('a saga in one trace', () => {
  it('each step is a consumer span in the trace of the message that drove it, commands and replies included', async () => {
    const world = checkoutWorld();
    const store = new MemoryStore();
    const app = createApp({
      name: world.prefix,
      services: [...world.services, world.checkout],
      broker: new MemoryTransport({ broker: new MemoryBroker() }),
      store,
      logger: silentLogger,
    });
    await app.start();
    try {
      const root = trace.getTracer('test').startSpan('checkout request', { kind: SpanKind.SERVER });
      await context.with(trace.setSpan(context.active(), root), () =>
        app.publish(world.contracts.Placed, { orderId: 't1', amount: 1 }, { key: 't1' }),
      );
      root.end();
      await eventually('the order to reach shipping', async () => {
        const one = await store.sagas.get(world.checkout.name, 't1');
        return (one?.state as { stage?: string } | undefined)?.stage === 'shipping';
      });
      await eventually(
        "the reply steps' spans to end",
        () =>
          spans.getFinishedSpans().filter((s) => s.name === `process ${sagaTopic(world.checkout.name)}`).length >= 2,
      );
      const traceId = root.spanContext().traceId;
      const consumers = spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER);
      const types = (group: string) =>
        consumers
          .filter((s) => s.attributes['messaging.consumer.group.name'] === group)
          .map((s) => ({ trace: s.spanContext().traceId, topic: s.attributes['messaging.destination.name'] }));
      // The start step, the dispatcher's two commands and the two replies: all in the request's trace.
      const steps = types(world.checkout.name);
      const dispatched = types(`${world.checkout.name}.commands`);
      expect(steps.length).toBeGreaterThanOrEqual(3);
      expect(dispatched.length).toBeGreaterThanOrEqual(2);
      for (const span of [...steps, ...dispatched]) expect(span.trace).toBe(traceId);
      expect(steps.map((s) => s.topic)).toEqual(
        expect.arrayContaining([world.contracts.Placed.topic, sagaTopic(world.checkout.name)]),
      );
      // The start step's span is a child of the span that sent the event.
      const start = consumers.find((s) => s.attributes['messaging.destination.name'] === world.contracts.Placed.topic)!;
      const send = spans.getFinishedSpans().find((s) => s.spanContext().spanId === start.parentSpanContext?.spanId);
      expect(send?.kind).toBe(SpanKind.PRODUCER);
    } finally {
      await app.stop();
    }
  });
});
