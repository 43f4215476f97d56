import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand } from '../contracts/contracts.js';
import { UnsupportedVersionError, ValidationError } from '../errors/errors.js';
import { MetricName } from '../metrics/runtime-metrics.js';
import { inputVersions, requestedInputVersion, upcastInput } from './upcast-input.js';

const V2 = z.object({ sku: z.string(), qty: z.number(), currency: z.string() });
const Place = defineCommand('orders.place', {
  version: 3,
  input: z.object({ lines: z.array(z.object({ sku: z.string(), qty: z.number() })), currency: z.string() }),
  output: z.object({}),
  from: {
    // Version 1 wrote qty as text.
    1: {
      input: z.object({ sku: z.string().min(1), qty: z.string() }),
      upcast: ({ sku, qty }) => ({ sku, qty: Number(qty), currency: 'EUR' }),
    },
    2: { input: V2, upcast: ({ sku, qty, currency }) => ({ lines: [{ sku, qty }], currency }) },
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

function refusal(header: string): UnsupportedVersionError {
  try {
    requestedInputVersion(Place, header);
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedVersionError);
    return error as UnsupportedVersionError;
  }
  throw new Error(`expected ${header} to be refused`);
}

describe('input versions', () => {
  it('lists the versions a contract takes, oldest first', () => {
    expect(inputVersions(Place)).toEqual([1, 2, 3]);
    expect(inputVersions(defineCommand('orders.cancel', { input: z.object({}), output: z.object({}) }))).toEqual([1]);
  });

  it('takes the current and every declared older version', () => {
    expect(['1', '2', '3'].map((h) => requestedInputVersion(Place, h))).toEqual([1, 2, 3]);
  });

  it('refuses a newer version, saying to deploy the service first', () => {
    const error = refusal('4');
    expect(error.message).toBe(
      "tandem-contract-version 4: 'orders.place' takes input versions 1, 2 or 3 (current: 3); the caller was built against a newer contract than this service runs: deploy the service with version 4 before its callers, or call with version 3",
    );
    expect(error.details).toEqual({ contract: 'orders.place', versions: [1, 2, 3], current: 3, requested: 4 });
  });

  it('refuses an older version the contract does not declare, saying how to fix it', () => {
    const Dropped = defineCommand('orders.place', { version: 2, input: V2, output: z.object({}) });
    expect(() => requestedInputVersion(Dropped, '1')).toThrow(
      "tandem-contract-version 1: 'orders.place' takes input versions 2 (current: 2); the service no longer declares version 1: rebuild the caller against version 2, or declare from[1] on its contract again",
    );
  });

  it('refuses what is not a version, quoting at most 20 characters of it', () => {
    expect(refusal('v2').message).toMatch(/^tandem-contract-version 'v2' is not a version: 'orders\.place' takes/);
    expect(refusal('0').details).toMatchObject({ requested: '0' });
    expect(refusal('1'.repeat(50)).details).toMatchObject({ requested: '1'.repeat(20) });
  });

  it('validates with each version in turn and upcasts step by step', async () => {
    expect(await upcastInput(Place, 1, { sku: 'tea', qty: '2' })).toEqual({
      lines: [{ sku: 'tea', qty: 2 }],
      currency: 'EUR',
    });
    expect(await upcastInput(Place, 2, { sku: 'mug', qty: 1, currency: 'USD' })).toEqual({
      lines: [{ sku: 'mug', qty: 1 }],
      currency: 'USD',
    });
    // The current version is the handler steps' to validate: nothing to do here.
    const current = { lines: [], currency: 'EUR' };
    expect(await upcastInput(Place, 3, current)).toBe(current);
  });

  it("names the version whose schema refused the input, with zod's issues", async () => {
    const error = (await upcastInput(Place, 1, { sku: '', qty: 2 }).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/^orders\.place: invalid input of version 1: sku: .*; qty: /);
    expect(error.details).toMatchObject({ version: 1, issues: [{ path: 'sku' }, { path: 'qty' }] });
  });

  it('counts upcast inputs by contract and from-version, not current ones', async () => {
    // A contract of its own, so that the other tests' upcasts are not counted.
    const Counted = defineCommand('orders.counted', {
      version: 3,
      input: z.object({ n: z.number() }),
      output: z.object({}),
      from: {
        1: { input: z.object({ n: z.string() }), upcast: ({ n }) => ({ n }) },
        2: { input: z.object({ n: z.string() }), upcast: ({ n }) => ({ n: Number(n) }) },
      },
    });
    await upcastInput(Counted, 1, { n: '1' });
    await upcastInput(Counted, 2, { n: '2' });
    await upcastInput(Counted, 2, { n: '3' });
    await upcastInput(Counted, 3, { n: 4 });
    const { resourceMetrics } = await reader.collect();
    const points =
      resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === MetricName.inputUpcasts)
        ?.dataPoints ?? [];
    const byVersion = Object.fromEntries(
      points
        .filter((p) => p.attributes['tandem.contract'] === 'orders.counted')
        .map((p) => [p.attributes['tandem.contract.from_version'], p.value]),
    );
    expect(byVersion).toEqual({ 1: 1, 2: 2 });
  });
});
