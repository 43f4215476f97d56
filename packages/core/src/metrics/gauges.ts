import type { Attributes, ObservableResult } from '@opentelemetry/api';
import { instrumentsFor, METER_SCOPE } from './meter.js';
import { MetricName } from './runtime-metrics.js';
import { SagaMetricName } from '../sagas/metrics.js';

/** One reading of an observable gauge: its value and attributes. */
export interface GaugeReading {
  value: number;
  attributes?: Attributes;
}

/** Read on every metric collection; may be async (a store query, for instance). */
export type GaugeSource = () => GaugeReading[] | Promise<GaugeReading[]>;

/** A registered gauge callback; unregister it when its owner closes. */
export interface GaugeRegistration {
  /** Stops observing this source (call it when the component closes). */
  stop(): void;
}

/** Numeric breaker states for `tandem.circuit_breaker.state`. */
export const BreakerStateValue = { closed: 0, 'half-open': 1, open: 2 } as const;

const sources = {
  [MetricName.outboxBacklog]: new Set<GaugeSource>(),
  [MetricName.breakerState]: new Set<GaugeSource>(),
  [SagaMetricName.instances]: new Set<GaugeSource>(),
  [SagaMetricName.oldestOpen]: new Set<GaugeSource>(),
};
type GaugeName = keyof typeof sources;

async function observeAll(name: GaugeName, result: ObservableResult<Attributes>): Promise<void> {
  const readings = await Promise.all(
    [...sources[name]].map((read) => Promise.resolve(read()).catch(() => [] as GaugeReading[])),
  );
  for (const list of readings) for (const r of list) result.observe(r.value, r.attributes);
}

const gauges = instrumentsFor(METER_SCOPE, (meter) => {
  const backlog = meter.createObservableGauge(MetricName.outboxBacklog, {
    description: 'Outbox rows not yet published.',
    unit: '{message}',
  });
  backlog.addCallback((result) => observeAll(MetricName.outboxBacklog, result));
  const breaker = meter.createObservableGauge(MetricName.breakerState, {
    description: 'Circuit breaker state per downstream target: 0 closed, 1 half-open, 2 open.',
    unit: '1',
  });
  breaker.addCallback((result) => observeAll(MetricName.breakerState, result));
  const sagaInstances = meter.createObservableGauge(SagaMetricName.instances, {
    description: 'Saga instances in the store per saga and status (read from the store at most every 15 s).',
    unit: '{instance}',
  });
  sagaInstances.addCallback((result) => observeAll(SagaMetricName.instances, result));
  const sagaOldestOpen = meter.createObservableGauge(SagaMetricName.oldestOpen, {
    description:
      'Per saga, seconds since the last change of its least recently changed instance that has not ended (running, compensating, parked); 0 when none.',
    unit: 's',
  });
  sagaOldestOpen.addCallback((result) => observeAll(SagaMetricName.oldestOpen, result));
  return { backlog, breaker, sagaInstances, sagaOldestOpen };
});

function register(name: GaugeName, source: GaugeSource): GaugeRegistration {
  // Register the OpenTelemetry SDK before creating the app and its clients: the gauge is
  // bound to the meter provider that is global when its first source registers.
  gauges();
  sources[name].add(source);
  return { stop: () => sources[name].delete(source) };
}

/**
 * The hook an outbox store feeds: `read` returns how many rows wait to be published
 * (per topic or partition if it likes, through attributes). Observed as `tandem.outbox.backlog`.
 */
export function observeOutboxBacklog(read: GaugeSource): GaugeRegistration {
  return register(MetricName.outboxBacklog, read);
}

/** Observed as `tandem.circuit_breaker.state`; readings carry a `tandem.breaker.target` attribute. */
export function observeBreakerStates(read: GaugeSource): GaugeRegistration {
  return register(MetricName.breakerState, read);
}

/** Observed as `tandem.saga.instances`; readings carry `tandem.saga.name` and `tandem.saga.status`. */
export function observeSagaInstances(read: GaugeSource): GaugeRegistration {
  return register(SagaMetricName.instances, read);
}

/** Observed as `tandem.saga.oldest_open_age`; readings carry `tandem.saga.name`. */
export function observeSagaOldestOpen(read: GaugeSource): GaugeRegistration {
  return register(SagaMetricName.oldestOpen, read);
}
