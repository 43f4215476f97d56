/**
 * The consumer's side of versioned events, on the in-process broker: the version read from
 * `dataschema`, older data validated with its own schema and upcast version by version,
 * newer and too-old versions dead-lettered as `unknown-version` unless the contract accepts newer.
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
import { defineEvent, type EventContract } from '../contracts/contracts.js';
import { silentLogger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import { Header } from '../messages/headers.js';
import { MetricName } from '../metrics/runtime-metrics.js';
import { eventually } from '../testing/harness.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { createApp, type App } from './app.js';

const V1 = z.object({ id: z.string(), total: z.number() });
const V2 = z.object({ id: z.string(), amount: z.object({ value: z.number(), currency: z.string() }) });
const V3 = V2.extend({ channel: z.enum(['web', 'shop']) });
type Current = z.output<typeof V3>;

const upcasts: number[] = [];
const PlacedV1 = defineEvent('shop.placed', { data: V1 });
const PlacedV2 = defineEvent('shop.placed', { version: 2, data: V2 });
const PlacedV4 = defineEvent('shop.placed', { version: 4, data: V3 });
const Placed = defineEvent('shop.placed', {
  version: 3,
  data: V3,
  from: {
    1: {
      data: V1,
      upcast: (v1) => {
        upcasts.push(1);
        return { id: v1.id, amount: { value: v1.total, currency: 'EUR' } };
      },
    },
    2: {
      data: V2,
      upcast: (v2) => {
        upcasts.push(2);
        return { ...v2, channel: 'web' as const };
      },
    },
  },
});

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

const apps: App[] = [];
afterEach(async () => {
  upcasts.length = 0;
  for (const app of apps.splice(0)) await app.stop();
});

/** A consumer of `contract` in its own group, and what it handled. */
async function consumer(contract: EventContract<'shop.placed', typeof V3> = Placed) {
  const broker = new MemoryTransport({ broker: new MemoryBroker() });
  const handled: Current[] = [];
  const group = `g${apps.length}-${Math.random().toString(36).slice(2)}`;
  const app = createApp({ broker, logger: silentLogger }).onEvent(contract, async (data) => void handled.push(data), {
    group,
  });
  apps.push(app);
  await app.start();
  const send = (of: EventContract, data: unknown, edit?: (headers: Record<string, string>) => void) => {
    const message = encodeEvent(of, data, { source: 'shop' });
    edit?.(message.headers);
    return broker.publish([message]);
  };
  const deadLetters = () => broker.deadLetters.list(group);
  return { handled, send, deadLetters, group, broker };
}

describe('upcasting a consumed event', () => {
  it('chains version 1 through 2 to 3 before the handler runs', async () => {
    const { handled, send } = await consumer();
    await send(PlacedV1, { id: 'o1', total: 40 });
    await eventually('handled', () => handled.length === 1);
    expect(handled).toEqual([{ id: 'o1', amount: { value: 40, currency: 'EUR' }, channel: 'web' }]);
    expect(upcasts).toEqual([1, 2]);
  });

  it('starts the chain at the version the message was published at', async () => {
    const { handled, send } = await consumer();
    await send(PlacedV2, { id: 'o2', amount: { value: 5, currency: 'USD' } });
    await eventually('handled', () => handled.length === 1);
    expect(handled[0]!.channel).toBe('web');
    expect(upcasts).toEqual([2]);
  });

  it('takes the current version, and a message without dataschema, as they are', async () => {
    const { handled, send } = await consumer();
    const current = { id: 'o3', amount: { value: 1, currency: 'EUR' }, channel: 'shop' };
    await send(Placed, current);
    await send(Placed, current, (headers) => delete headers[Header.dataschema]);
    await send(Placed, current, (headers) => (headers[Header.dataschema] = 'https://example.com/placed.json'));
    await eventually('handled', () => handled.length === 3);
    expect(upcasts).toEqual([]);
  });

  it('reads the version of a structured-mode event from its dataschema attribute', async () => {
    const { handled, broker } = await consumer();
    const event = {
      specversion: '1.0',
      id: 'structured-1',
      source: 'another-service',
      type: 'shop.placed',
      dataschema: 'urn:tandem:event:shop.placed:v1',
      data: { id: 'o14', total: 7 },
    };
    await broker.publish([
      {
        topic: Placed.topic,
        headers: { [Header.contentType]: 'application/cloudevents+json' },
        body: new TextEncoder().encode(JSON.stringify(event)),
      },
    ]);
    await eventually('handled', () => handled.length === 1);
    expect(handled[0]).toEqual({ id: 'o14', amount: { value: 7, currency: 'EUR' }, channel: 'web' });
  });

  it("validates old data with its own version's schema before upcasting, and dead-letters it when it does not match", async () => {
    const { handled, send, deadLetters } = await consumer();
    await send(PlacedV1, { id: 'o4', total: 'forty' });
    await eventually('dead-lettered', async () => (await deadLetters()).length === 1);
    const [letter] = await deadLetters();
    expect(letter!.reason).toBe('non-retryable: TANDEM_VALIDATION');
    expect(letter!.error).toContain('invalid data of version 1: total');
    expect(upcasts).toEqual([]);
    expect(handled).toEqual([]);
  });

  it('dead-letters an upcast result that does not match the next version', async () => {
    const Broken = defineEvent('shop.placed', {
      version: 3,
      data: V3,
      from: {
        1: { data: V1, upcast: (v1) => ({ id: v1.id }) as never },
        2: { data: V2, upcast: (v2) => ({ ...v2, channel: 'web' as const }) },
      },
    });
    const { handled, send, deadLetters } = await consumer(Broken);
    await send(PlacedV1, { id: 'o5', total: 1 });
    await eventually('dead-lettered', async () => (await deadLetters()).length === 1);
    expect((await deadLetters())[0]!.error).toContain('invalid data of version 2: amount');
    expect(handled).toEqual([]);
  });

  it('dead-letters an upcast that throws as upcast-failed', async () => {
    const Throwing = defineEvent('shop.placed', {
      version: 3,
      data: V3,
      from: {
        1: {
          data: V1,
          upcast: (): z.input<typeof V2> => {
            throw new Error('no exchange rate');
          },
        },
        2: { data: V2, upcast: (v2) => ({ ...v2, channel: 'web' as const }) },
      },
    });
    const { send, deadLetters } = await consumer(Throwing);
    await send(PlacedV1, { id: 'o6', total: 1 });
    await eventually('dead-lettered', async () => (await deadLetters()).length === 1);
    expect((await deadLetters())[0]!.reason).toBe('upcast-failed');
  });

  it('dead-letters a newer version as unknown-version, naming the version seen and those known', async () => {
    const { handled, send, deadLetters } = await consumer();
    await send(PlacedV4, { id: 'o7', amount: { value: 1, currency: 'EUR' }, channel: 'web' });
    await eventually('dead-lettered', async () => (await deadLetters()).length === 1);
    const [letter] = await deadLetters();
    expect(letter!.reason).toBe('unknown-version');
    expect(letter!.error).toContain('version 4 is not one this consumer reads (it reads 1..3)');
    expect(handled).toEqual([]);
  });

  it("handles a newer version as the current one when the contract accepts 'newer'", async () => {
    const Forward = defineEvent('shop.placed', { version: 3, data: V3, accepts: 'newer' });
    const { handled, send, deadLetters } = await consumer(Forward);
    await send(PlacedV4, { id: 'o8', amount: { value: 1, currency: 'EUR' }, channel: 'web', extra: true });
    await eventually('handled', () => handled.length === 1);
    expect(handled).toEqual([{ id: 'o8', amount: { value: 1, currency: 'EUR' }, channel: 'web' }]);
    expect(await deadLetters()).toEqual([]);
  });

  it("still validates a newer version against the current schema when the contract accepts 'newer'", async () => {
    const Forward = defineEvent('shop.placed', { version: 3, data: V3, accepts: 'newer' });
    const { send, deadLetters } = await consumer(Forward);
    await send(PlacedV4, { id: 'o9' });
    await eventually('dead-lettered', async () => (await deadLetters()).length === 1);
    expect((await deadLetters())[0]!.reason).toBe('non-retryable: TANDEM_VALIDATION');
  });

  it('dead-letters a version older than any declared upcaster as unknown-version', async () => {
    const OnlyFrom2 = defineEvent('shop.placed', {
      version: 3,
      data: V3,
      from: { 2: { data: V2, upcast: (v2) => ({ ...v2, channel: 'web' as const }) } },
    });
    const { send, deadLetters } = await consumer(OnlyFrom2);
    await send(PlacedV1, { id: 'o10', total: 1 });
    await eventually('dead-lettered', async () => (await deadLetters()).length === 1);
    const [letter] = await deadLetters();
    expect(letter!.reason).toBe('unknown-version');
    expect(letter!.error).toContain('version 1 is not one this consumer reads (it reads 2..3)');
  });

  it('counts upcasts by type and from-version', async () => {
    const { handled, send } = await consumer();
    await send(PlacedV1, { id: 'o11', total: 1 });
    await send(PlacedV2, { id: 'o12', amount: { value: 1, currency: 'EUR' } });
    await send(PlacedV2, { id: 'o13', amount: { value: 1, currency: 'EUR' } });
    await eventually('handled', () => handled.length === 3);
    const { resourceMetrics } = await reader.collect();
    const points =
      resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === MetricName.upcasts)
        ?.dataPoints ?? [];
    const byVersion = Object.fromEntries(
      points
        .filter((p) => p.attributes['tandem.event.type'] === 'shop.placed')
        .map((p) => [p.attributes['tandem.event.from_version'], p.value]),
    );
    expect(byVersion[1]).toBeGreaterThanOrEqual(1);
    expect(byVersion[2]).toBeGreaterThanOrEqual(2);
  });
});
