import { createNoopMeter, metrics, type Meter, type MeterProvider } from '@opentelemetry/api';

export const METER_SCOPE = '@tandem/core';
const VERSION = '0.1.0';

/** A set of OpenTelemetry instruments created once per meter provider. */
export type Instruments<T> = T & {
  /** False while no metrics SDK is registered: recording would be a no-op, so skip the work. */
  readonly enabled: boolean;
};

/**
 * Builds a set of instruments once per global meter provider. The metrics API has no
 * proxy provider (unlike tracing): instruments made before the SDK is registered stay
 * no-ops forever, so they are rebuilt when the global provider changes.
 */
export function instrumentsFor<T extends object>(scope: string, build: (meter: Meter) => T): () => Instruments<T> {
  let cached: { provider: MeterProvider; instruments: Instruments<T> } | undefined;
  return () => {
    const provider = metrics.getMeterProvider();
    if (cached?.provider !== provider) {
      const meter = provider.getMeter(scope, VERSION);
      cached = { provider, instruments: { ...build(meter), enabled: meter !== createNoopMeter() } };
    }
    return cached.instruments;
  };
}
