import { metrics, type Meter, type MeterProvider } from '@opentelemetry/api';

export const METER_SCOPE = '@tandem/core';
const VERSION = '0.1.0';

/**
 * Builds a set of instruments once per global meter provider. The metrics API has no
 * proxy provider (unlike tracing): instruments made before the SDK is registered stay
 * no-ops forever, so they are rebuilt when the global provider changes.
 */
export function instrumentsFor<T>(scope: string, build: (meter: Meter) => T): () => T {
  let cached: { provider: MeterProvider; instruments: T } | undefined;
  return () => {
    const provider = metrics.getMeterProvider();
    if (cached?.provider !== provider) cached = { provider, instruments: build(provider.getMeter(scope, VERSION)) };
    return cached.instruments;
  };
}
