import { context, metrics, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../contracts/contracts.js';
import { NonRetryableError } from '../errors/errors.js';
import { silentLogger } from '../log/logger.js';
import { createApp, type App } from '../runtime/app.js';
import { service } from '../runtime/service.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';

const Flaky = defineEvent('jobs.flaky', { data: z.object({ n: z.number() }) });
const Poison = defineEvent('jobs.poison', { data: z.object({ n: z.number() }) });

const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
const reader = new PeriodicExportingMetricReader({
  exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
  exportIntervalMillis: 60_000,
});
const meterProvider = new MeterProvider({ readers: [reader] });
let app: App;
let settled!: () => void;
const bothHandled = new Promise<void>((resolve) => (settled = resolve));

async function metric(name: string) {
  const { resourceMetrics } = await reader.collect();
  return (
    resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)?.dataPoints ?? []
  );
}

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  let flakyRuns = 0;
  let done = 0;
  const finish = () => (++done === 2 ? settled() : undefined);
  app = createApp({
    broker: new MemoryTransport({ broker: new MemoryBroker() }),
    logger: silentLogger,
    retry: { attempts: 3, immediateRetries: 2 },
    services: [
      service('jobs')
        .onEvent(Flaky, async () => {
          if (++flakyRuns === 1) throw new Error('first run fails');
          finish();
        })
        .onEvent(Poison, async () => {
          setTimeout(finish, 20);
          throw new NonRetryableError('cannot ever work');
        }),
    ],
  });
  await app.start();
  await app.publish(Flaky, { n: 1 });
  await app.publish(Poison, { n: 2 });
  await bothHandled;
});
afterAll(async () => {
  await app.stop();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
});

describe('consumer spans and metrics', () => {
  it('records failed attempts on the process span, and the final disposition', async () => {
    await tracerProvider.forceFlush();
    const all = spans.getFinishedSpans();
    const flaky = all.find((s) => s.name === 'process jobs.flaky')!;
    expect(flaky.kind).toBe(SpanKind.CONSUMER);
    expect(flaky.attributes['tandem.disposition']).toBe('ack');
    expect(flaky.events.filter((e) => e.name === 'exception')).toHaveLength(1);
    const producer = all.find((s) => s.name === 'send jobs.flaky')!;
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(flaky.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    // A published root event carries no correlationid; both spans still name its conversation (its id).
    const id = flaky.attributes['messaging.message.id'];
    expect(id).toEqual(expect.any(String));
    expect(flaky.attributes['messaging.message.conversation_id']).toBe(id);
    expect(producer.attributes['messaging.message.conversation_id']).toBe(id);

    const poison = all.find((s) => s.name === 'process jobs.poison')!;
    expect(poison.status.code).toBe(SpanStatusCode.ERROR);
    expect(poison.attributes).toMatchObject({
      'tandem.disposition': 'dead-letter',
      'error.type': 'TANDEM_NON_RETRYABLE',
    });
  });

  it('counts retries and dead letters, and handler outcomes', async () => {
    const retries = await metric('tandem.consumer.retries');
    expect(retries).toEqual([
      expect.objectContaining({
        value: 1,
        attributes: expect.objectContaining({
          'tandem.handler.name': 'jobs.flaky',
          'tandem.retry.kind': 'immediate',
          'messaging.consumer.group.name': 'jobs',
        }),
      }),
    ]);
    const deadLetters = await metric('tandem.consumer.dead_letters');
    expect(deadLetters).toEqual([
      expect.objectContaining({
        value: 1,
        attributes: expect.objectContaining({
          'messaging.destination.name': 'jobs.poison',
          'tandem.dead_letter.reason': 'non-retryable: TANDEM_NON_RETRYABLE',
        }),
      }),
    ]);
    const durations = await metric('tandem.handler.duration');
    const outcomes = durations
      .map((p) => `${String(p.attributes['tandem.handler.name'])}:${String(p.attributes['tandem.outcome'])}`)
      .sort();
    expect(outcomes).toEqual(['jobs.flaky:error', 'jobs.flaky:success', 'jobs.poison:error']);
  });
});
