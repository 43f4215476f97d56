import type { Attributes, Counter } from '@opentelemetry/api';
import { instrumentsFor, METER_SCOPE } from '../metrics/meter.js';
import type { SagaStatus } from './saga-store.js';

/** Metric names of sagas. */
export const SagaMetricName = {
  transitions: 'tandem.saga.transitions',
  instances: 'tandem.saga.instances',
  oldestOpen: 'tandem.saga.oldest_open_age',
} as const;

interface SagaInstruments {
  /** Attributes: tandem.saga.name, tandem.saga.status (the status entered: running = started). */
  readonly transitions: Counter<Attributes>;
}

const sagaInstruments = instrumentsFor<SagaInstruments>(METER_SCOPE, (meter) => ({
  transitions: meter.createCounter(SagaMetricName.transitions, {
    description: 'Saga instances entering a status: running (started), completed, compensating, compensated, parked.',
    unit: '{instance}',
  }),
}));

/** Counts an instance entering `to`. */
export function recordSagaTransition(saga: string, from: SagaStatus | undefined, to: SagaStatus): void {
  if (from === to) return;
  const instruments = sagaInstruments();
  if (!instruments.enabled) return;
  instruments.transitions.add(1, { 'tandem.saga.name': saga, 'tandem.saga.status': to });
}
