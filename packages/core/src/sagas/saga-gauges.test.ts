import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { createApp } from '../runtime/app.js';
import { MemoryStore } from '../stores/memory-store.js';
import { eventually } from '../testing/harness.js';
import { checkoutWorld } from '../testing/saga-fixture.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { watchSagaInstances } from './gauges.js';
import { SagaMetricName } from './metrics.js';
import type { SagaCount } from './saga-store.js';

const reader = new PeriodicExportingMetricReader({
  exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
  exportIntervalMillis: 60_000,
});
beforeAll(() => {
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});
afterAll(() => metrics.disable());

/**
 * The data points of one gauge for the given sagas, from a fresh collection, as
 * `saga/status → value` (or `saga → value`). The SDK keeps reporting a series it saw once,
 * so points of other tests' sagas are left out.
 */
async function gauge(name: string, sagas: readonly string[]): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const points =
    resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)?.dataPoints ?? [];
  return Object.fromEntries(
    points
      .filter((p) => sagas.includes(p.attributes['tandem.saga.name'] as string))
      .map((p) => [
        [p.attributes['tandem.saga.name'], p.attributes['tandem.saga.status']].filter(Boolean).join('/'),
        p.value as number,
      ]),
  );
}

describe('saga gauges', () => {
  it('report an app’s instances per status and its oldest open instance, from start until stop', async () => {
    const world = checkoutWorld();
    const name = world.checkout.name;
    const store = new MemoryStore();
    const app = createApp({
      name: world.prefix,
      services: [...world.services, world.checkout],
      broker: new MemoryTransport({ broker: new MemoryBroker() }),
      store,
      logger: silentLogger,
      sagaClock: { pollMs: 50 },
    });
    await app.start();
    try {
      const stage = async (id: string) =>
        ((await store.sagas.get(name, id))?.state as { stage?: string } | undefined)?.stage;
      for (const orderId of ['a', 'b'])
        await app.publish(world.contracts.Placed, { orderId, amount: 5 }, { key: orderId });
      await eventually(
        'both are shipping',
        async () => (await stage('a')) === 'shipping' && (await stage('b')) === 'shipping',
      );
      await app.publish(world.contracts.Delivered, { orderId: 'a' }, { key: 'a' });
      await eventually('a completes', async () => (await store.sagas.get(name, 'a'))?.status === 'completed');
      const openSince = (await store.sagas.get(name, 'b'))!.updatedAt;
      await new Promise((r) => setTimeout(r, 50));

      // The first collection since start: the store is read now, not 15 s ago.
      const instances = await gauge(SagaMetricName.instances, [name]);
      const oldest = await gauge(SagaMetricName.oldestOpen, [name]);
      const expectedInstances = {
        [`${name}/running`]: 1,
        [`${name}/completed`]: 1,
        [`${name}/compensating`]: 0,
        [`${name}/compensated`]: 0,
        [`${name}/parked`]: 0,
      };
      expect(instances).toEqual(expectedInstances);
      const age = oldest[name]!;
      // Seconds since b's last change, counted at the collection (b is the only open instance).
      expect(age).toBeGreaterThanOrEqual(0.05);
      expect(age).toBeLessThanOrEqual((Date.now() - openSince) / 1_000);
    } finally {
      await app.stop();
    }
  });

  it('asks the store at most once per cache period, and counts the age from the collection', async () => {
    let now = 1_000_000;
    let reads = 0;
    let failing = false;
    const counts: SagaCount[] = [
      { saga: 'checkout', status: 'running', count: 3, oldestUpdatedAt: now - 30_000 },
      { saga: 'checkout', status: 'parked', count: 1, oldestUpdatedAt: now - 90_000 },
      { saga: 'checkout', status: 'completed', count: 7, oldestUpdatedAt: now - 900_000 },
      { saga: 'other-app', status: 'running', count: 9, oldestUpdatedAt: now - 5_000 },
    ];
    const store = {
      counts: async () => {
        reads++;
        if (failing) throw new Error('database unreachable');
        return counts;
      },
    };
    const mine = ['checkout', 'refunds'];
    const watch = watchSagaInstances(store, { sagas: mine, cacheMs: 15_000, now: () => now });
    try {
      expect(await gauge(SagaMetricName.instances, mine)).toEqual({
        'checkout/running': 3,
        'checkout/compensating': 0,
        'checkout/completed': 7,
        'checkout/compensated': 0,
        'checkout/parked': 1,
        'refunds/running': 0,
        'refunds/compensating': 0,
        'refunds/completed': 0,
        'refunds/compensated': 0,
        'refunds/parked': 0,
      });
      // The parked one is the oldest open (a completed one is older, but ended); a saga with none open is 0.
      expect(await gauge(SagaMetricName.oldestOpen, mine)).toEqual({ checkout: 90, refunds: 0 });
      expect(reads).toBe(1);

      now += 10_000;
      expect(await gauge(SagaMetricName.oldestOpen, mine)).toEqual({ checkout: 100, refunds: 0 });
      expect(reads).toBe(1);

      // A failed read is not kept: the next collection asks again.
      now += 5_000;
      failing = true;
      counts[0]!.count = 4;
      await reader.collect();
      expect(reads).toBe(2);
      failing = false;
      expect((await gauge(SagaMetricName.instances, mine))['checkout/running']).toBe(4);
      expect(reads).toBe(3);
    } finally {
      watch.stop();
    }
    now += 60_000;
    await reader.collect();
    expect(reads).toBe(3);
  });
});
