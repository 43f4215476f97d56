/**
 * Messages from producers Tandem does not control, on the in-process broker: events of
 * types no handler takes, wire-supplied attempt numbers, and messages without ce-id that
 * end up as dead letters.
 */
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../contracts/contracts.js';
import { createLogger, silentLogger } from '../log/logger.js';
import { Header } from '../messages/headers.js';
import { uuidv7 } from '../messages/uuid.js';
import { MetricName } from '../metrics/runtime-metrics.js';
import { eventually } from '../testing/harness.js';
import type { OutgoingMessage } from '../transport/broker.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { createApp, type App } from './app.js';
import { boundedAttempt } from './consume.js';
import type { HandlerContext } from './handler-context.js';

const Placed = defineEvent('shop.placed', { data: z.object({ n: z.number() }) });

const reader = new PeriodicExportingMetricReader({
  exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
  exportIntervalMillis: 60_000,
});
const meterProvider = new MeterProvider({ readers: [reader] });
beforeAll(() => void metrics.setGlobalMeterProvider(meterProvider));
afterAll(async () => {
  await meterProvider.shutdown();
  metrics.disable();
});

async function counted(name: string, group: string): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  const points =
    resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)?.dataPoints ?? [];
  return points
    .filter((p) => p.attributes['messaging.consumer.group.name'] === group)
    .reduce((sum, p) => sum + (p.value as number), 0);
}

function raw(type: string, body: unknown, headers: Record<string, string> = {}): OutgoingMessage {
  return {
    topic: Placed.topic,
    headers: {
      [Header.specversion]: '1.0',
      [Header.id]: uuidv7(),
      [Header.source]: 'another-service',
      [Header.type]: type,
      [Header.contentType]: 'application/json',
      ...headers,
    },
    body: new TextEncoder().encode(JSON.stringify(body)),
  };
}

let apps: App[] = [];
afterEach(async () => {
  await Promise.allSettled(apps.map((app) => app.stop()));
  apps = [];
});

describe('events of a type no handler in the group takes', () => {
  it('are acked, counted by a metric and logged once per type, not once per message', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const broker = new MemoryTransport({ broker: new MemoryBroker() });
    const handled: number[] = [];
    const app = createApp({
      broker,
      logger: createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line)) }),
    }).onEvent(Placed, async ({ n }) => void handled.push(n), { group: 'unknown-types' });
    apps.push(app);
    await app.start();

    await broker.publish(Array.from({ length: 50 }, (_, i) => raw('billing.invoiced', { i })));
    await broker.publish([raw('billing.refunded', {})]);
    await app.publish(Placed, { n: 1 });
    await eventually('the known event', () => handled.length === 1);
    await eventually(
      'every unknown one counted',
      async () => (await counted(MetricName.unknownTypes, 'unknown-types')) === 51,
    );

    const logged = lines.filter((l) => String(l.msg).startsWith('no handler for event type'));
    expect(logged.map((l) => [l.level, l.type, l.topic, l.group])).toEqual([
      ['info', 'billing.invoiced', Placed.topic, 'unknown-types'],
      ['info', 'billing.refunded', Placed.topic, 'unknown-types'],
    ]);
    expect(await counted(MetricName.deadLetters, 'unknown-types')).toBe(0);
    expect(await broker.deadLetters.list('unknown-types')).toEqual([]);
  });
});

describe('tandem-attempt from the wire', () => {
  it.each(['99999', '5', '-3', '0', 'abc', '2.5', '1e400', ''])(
    'as %j neither skips retries nor crashes the consumer',
    async (attempt) => {
      const broker = new MemoryTransport({ broker: new MemoryBroker() });
      const runs: number[] = [];
      const group = 'hostile-attempt';
      const app = createApp({ broker, logger: silentLogger }).onEvent(
        Placed,
        async (_data, ctx: HandlerContext) => {
          runs.push(ctx.meta.attempt);
          throw new Error('always fails');
        },
        { group, retry: { attempts: 3, immediateRetries: 1, initialDelayMs: 5, maxDelayMs: 5, jitter: 'none' } },
      );
      apps.push(app);
      await app.start();
      await broker.publish([raw(Placed.name, { n: 1 }, { [Header.attempt]: attempt })]);
      await eventually('dead-lettered', async () => (await broker.deadLetters.list(group)).length === 1);
      expect(runs).toEqual([1, 2, 3]);
      expect((await broker.deadLetters.list(group))[0]).toMatchObject({ reason: 'attempts-exhausted', attempts: 3 });
    },
  );

  it('is bounded by the runtime too, for a transport that hands one over', async () => {
    const memory = new MemoryBroker();
    const broker = new MemoryTransport({ broker: memory });
    const runs: number[] = [];
    const group = 'bounded-attempt';
    const app = createApp({ broker, logger: silentLogger }).onEvent(
      Placed,
      async (_data, ctx: HandlerContext) => {
        runs.push(ctx.meta.attempt);
        throw new Error('always fails');
      },
      { group, retry: { attempts: 3, immediateRetries: 2 } },
    );
    apps.push(app);
    await app.start();
    const message = raw(Placed.name, { n: 1 });
    // As a transport that trusted the header would deliver it.
    for (const attempt of [1e9, Number.NaN]) {
      memory.group(group).enqueue({
        ...message,
        id: message.headers[Header.id]!,
        attempt,
        deliveryCount: 1,
        receivedAt: Date.now(),
        origin: { topic: Placed.topic },
      });
    }
    await eventually('both dead-lettered', async () => (await broker.deadLetters.list(group)).length === 2);
    expect(runs).toEqual([3, 1, 2, 3]);
    expect((await broker.deadLetters.list(group)).map((l) => l.attempts)).toEqual([3, 3]);
  });

  it('boundedAttempt keeps whole numbers in [1, attempts] and reads anything else as 1', () => {
    expect([1, 2, 3, 4, 1e9].map((a) => boundedAttempt(a, 3))).toEqual([1, 2, 3, 3, 3]);
    expect([0, -1, 2.5, Number.NaN, Infinity, 2 ** 60].map((a) => boundedAttempt(a, 3))).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('a dead letter of a message without ce-id', () => {
  it('is listed with the id it was delivered with, and replay takes that id', async () => {
    const broker = new MemoryTransport({ broker: new MemoryBroker() });
    const group = 'no-ce-id';
    const app = createApp({ broker, logger: silentLogger }).onEvent(Placed, async () => undefined, { group });
    apps.push(app);
    await app.start();
    const message = raw(Placed.name, { n: 1 });
    delete message.headers[Header.id];
    await broker.publish([message]);
    await eventually('dead-lettered', async () => (await broker.deadLetters.list(group)).length === 1);
    const [letter] = await broker.deadLetters.list(group);
    expect(letter!.reason).toBe('malformed');
    expect(letter!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(letter!.message.headers[Header.deadLetterId]).toBeUndefined();
    expect(await broker.deadLetters.replay(group, [letter!.id])).toBe(1);
    // Still malformed, so it comes back, with the same id.
    await eventually('back in the dead letters', async () => (await broker.deadLetters.list(group)).length === 1);
    expect((await broker.deadLetters.list(group))[0]!.id).toBe(letter!.id);
  });
});
