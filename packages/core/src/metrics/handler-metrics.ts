import type { Middleware } from '../middleware/compose.js';
import type { Invocation } from '../runtime/invocation.js';
import { errorType } from '../tracing/span-errors.js';
import { runtimeInstruments } from './runtime-metrics.js';

/** Records `tandem.handler.duration` for every run, by handler and outcome; free without a metrics SDK. */
export function handlerMetrics(): Middleware<Invocation> {
  return (inv, next) => {
    const instruments = runtimeInstruments();
    if (!instruments.enabled) return next();
    const started = performance.now();
    const record = (outcome: 'success' | 'error', error?: unknown): void => {
      instruments.handlerDuration.record((performance.now() - started) / 1000, {
        'tandem.handler.name': inv.contract.name,
        'tandem.handler.kind': inv.registration.kind,
        'tandem.service': inv.registration.service,
        'tandem.outcome': outcome,
        ...(error !== undefined ? { 'error.type': errorType(error) } : {}),
      });
    };
    return next().then(
      (result) => {
        record('success');
        return result;
      },
      (error: unknown) => {
        record('error', error);
        throw error;
      },
    );
  };
}
