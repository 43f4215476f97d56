import type { Attributes } from '@opentelemetry/api';
import type { Middleware } from '../middleware/compose.js';
import type { Invocation } from '../runtime/invocation.js';
import { errorType } from '../tracing/span-errors.js';
import { runtimeInstruments } from './runtime-metrics.js';

/**
 * Records `tandem.handler.duration` for every run, by handler and outcome; free without
 * a metrics SDK. The runtime makes one per handler, so the success attributes are built once.
 */
export function handlerMetrics(): Middleware<Invocation> {
  let success: Attributes | undefined;
  const base = (inv: Invocation): Attributes => ({
    'tandem.handler.name': inv.contract.name,
    'tandem.handler.kind': inv.registration.kind,
    'tandem.service': inv.registration.service,
  });
  return (inv, next) => {
    const instruments = runtimeInstruments();
    if (!instruments.enabled) return next();
    const started = performance.now();
    return next().then(
      (result) => {
        success ??= { ...base(inv), 'tandem.outcome': 'success' };
        instruments.handlerDuration.record((performance.now() - started) / 1000, success);
        return result;
      },
      (error: unknown) => {
        instruments.handlerDuration.record((performance.now() - started) / 1000, {
          ...base(inv),
          'tandem.outcome': 'error',
          'error.type': errorType(error),
        });
        throw error;
      },
    );
  };
}
