import type { Attributes } from '@opentelemetry/api';
import type { Step } from '../middleware/stage.js';
import type { Invocation } from '../runtime/invocation.js';
import { errorType } from '../tracing/span-errors.js';
import { runtimeInstruments } from './runtime-metrics.js';

/**
 * Records `tandem.handler.duration` for every run, by handler and outcome; free without
 * a metrics SDK. The runtime wraps each handler in its own, so the success attributes are
 * built once per handler.
 */
export function measured(next: Step): Step {
  let success: Attributes | undefined;
  const base = (inv: Invocation): Attributes => ({
    'tandem.handler.name': inv.contract.name,
    'tandem.handler.kind': inv.registration.kind,
    'tandem.service': inv.registration.service,
  });
  return (inv) => {
    const instruments = runtimeInstruments();
    if (!instruments.enabled) return next(inv);
    const started = performance.now();
    return next(inv).then(
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
