import type { Attributes, Counter } from '@opentelemetry/api';
import { instrumentsFor, METER_SCOPE } from './meter.js';

/** Metric names the in-memory stores record. */
export const StoreMetricName = {
  evictions: 'tandem.store.evictions',
} as const;

/** Which records an in-memory store dropped: `tandem.store.records` is `idempotency`, `inbox` or `outbox-history`. */
export type EvictedRecords = 'idempotency' | 'inbox' | 'outbox-history';

const storeInstruments = instrumentsFor<{ evictions: Counter<Attributes> }>(METER_SCOPE, (meter) => ({
  evictions: meter.createCounter(StoreMetricName.evictions, {
    description:
      'Records an in-memory store dropped before their time to stay within its entry and byte bounds (oldest completed first).',
    unit: '{record}',
  }),
}));

const attributes: Record<EvictedRecords, Attributes> = {
  idempotency: { 'tandem.store.name': 'memory', 'tandem.store.records': 'idempotency' },
  inbox: { 'tandem.store.name': 'memory', 'tandem.store.records': 'inbox' },
  'outbox-history': { 'tandem.store.name': 'memory', 'tandem.store.records': 'outbox-history' },
};

export function countEvictions(records: EvictedRecords, count: number): void {
  const instruments = storeInstruments();
  if (instruments.enabled && count > 0) instruments.evictions.add(count, attributes[records]);
}
