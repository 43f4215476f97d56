import type { Attributes, Counter, Histogram } from '@opentelemetry/api';
import { instrumentsFor, METER_SCOPE } from './meter.js';

/** Metric and attribute names Tandem records; durations are in seconds, as OpenTelemetry recommends. */
export const MetricName = {
  handlerDuration: 'tandem.handler.duration',
  consumerLag: 'tandem.consumer.lag',
  consumerRetries: 'tandem.consumer.retries',
  deadLetters: 'tandem.consumer.dead_letters',
  unknownTypes: 'tandem.consumer.unknown_types',
  upcasts: 'tandem.consumer.upcasts',
  inputUpcasts: 'tandem.server.upcasts',
  clientRetries: 'tandem.client.retries',
  breakerState: 'tandem.circuit_breaker.state',
  outboxBacklog: 'tandem.outbox.backlog',
} as const;

/** The runtime's OpenTelemetry instruments (handler durations, outcomes, dead letters, ...). */
export interface RuntimeInstruments {
  /** Attributes: tandem.handler.name, tandem.handler.kind, tandem.service, tandem.outcome, error.type. */
  readonly handlerDuration: Histogram<Attributes>;
  /** Now minus the event's CloudEvents `time`, at delivery. */
  readonly consumerLag: Histogram<Attributes>;
  /** Attributes: messaging.consumer.group.name, tandem.handler.name, tandem.retry.kind (immediate|delayed). */
  readonly consumerRetries: Counter<Attributes>;
  /** Attributes: messaging.consumer.group.name, messaging.destination.name, tandem.dead_letter.reason. */
  readonly deadLetters: Counter<Attributes>;
  /**
   * Events acked because no handler of the group takes their type. Attributes:
   * messaging.consumer.group.name, messaging.destination.name (the type is in the log, not
   * here: producers choose types, and each would be a time series).
   */
  readonly unknownTypes: Counter<Attributes>;
  /**
   * Events of an older version upcast to their contract's current one. Attributes:
   * tandem.event.type, tandem.event.from_version (bounded by the versions contracts declare).
   */
  readonly upcasts: Counter<Attributes>;
  /**
   * Command and query inputs of an older version upcast to their contract's current one.
   * Attributes: tandem.contract, tandem.contract.from_version (bounded by the versions contracts declare).
   */
  readonly inputUpcasts: Counter<Attributes>;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The runtime's OpenTelemetry instruments on the current global meter provider. */
export const runtimeInstruments = instrumentsFor<RuntimeInstruments>(METER_SCOPE, (meter) => ({
  handlerDuration: meter.createHistogram(MetricName.handlerDuration, {
    description: 'Duration of command, query and event handler runs, middleware included.',
    unit: 's',
    advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
  }),
  consumerLag: meter.createHistogram(MetricName.consumerLag, {
    description: 'Time from an event being published to its delivery to a consumer group.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...LATENCY_BUCKETS, 30, 60, 300] },
  }),
  consumerRetries: meter.createCounter(MetricName.consumerRetries, {
    description: 'Event handler retries, immediate and delayed.',
    unit: '{retry}',
  }),
  deadLetters: meter.createCounter(MetricName.deadLetters, {
    description: 'Events sent to a dead-letter destination.',
    unit: '{message}',
  }),
  unknownTypes: meter.createCounter(MetricName.unknownTypes, {
    description: 'Events acked without running a handler: no handler of the consumer group takes their type.',
    unit: '{message}',
  }),
  upcasts: meter.createCounter(MetricName.upcasts, {
    description: "Events of an older version upcast to their contract's current version before handling.",
    unit: '{message}',
  }),
  inputUpcasts: meter.createCounter(MetricName.inputUpcasts, {
    description: "Command and query inputs of an older version upcast to their contract's current version.",
    unit: '{request}',
  }),
}));
