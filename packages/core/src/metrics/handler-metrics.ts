import type { Middleware } from '../middleware/compose.js';
import type { Invocation } from '../runtime/invocation.js';
import { errorType } from '../tracing/span-errors.js';
import { runtimeInstruments } from './runtime-metrics.js';

/** Records `tandem.handler.duration` for every run, by handler and outcome. */
export function handlerMetrics(): Middleware<Invocation> {
  return async (inv, next) => {
    const started = performance.now();
    const attributes = {
      'tandem.handler.name': inv.contract.name,
      'tandem.handler.kind': inv.registration.kind,
      'tandem.service': inv.registration.service,
    };
    try {
      const result = await next();
      runtimeInstruments().handlerDuration.record((performance.now() - started) / 1000, { ...attributes, 'tandem.outcome': 'success' });
      return result;
    } catch (error) {
      runtimeInstruments().handlerDuration.record((performance.now() - started) / 1000, {
        ...attributes,
        'tandem.outcome': 'error',
        'error.type': errorType(error),
      });
      throw error;
    }
  };
}
