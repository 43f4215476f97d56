import type { Attributes } from '@opentelemetry/api';
import type { HandlerRegistration } from '../runtime/service.js';
import { errorType } from '../tracing/span-errors.js';
import { runtimeInstruments } from './runtime-metrics.js';

/** A run started while no metrics SDK was recording: nothing to record when it ends. */
export const NOT_MEASURED = -1;

/**
 * Records `tandem.handler.duration` for one handler's runs, by outcome; free without a
 * metrics SDK. One per handler, so the success attributes are built once.
 */
export class HandlerMetrics {
  private success: Attributes | undefined;

  constructor(private readonly reg: HandlerRegistration) {}

  /**
   * The run's start time, or NOT_MEASURED. Asked on every run rather than once at start:
   * an app may register its metrics SDK after the app started.
   */
  start(): number {
    return runtimeInstruments().enabled ? performance.now() : NOT_MEASURED;
  }

  succeeded(started: number): void {
    if (started === NOT_MEASURED) return;
    this.success ??= { ...this.base(), 'tandem.outcome': 'success' };
    runtimeInstruments().handlerDuration.record((performance.now() - started) / 1000, this.success);
  }

  failed(started: number, error: unknown): void {
    if (started === NOT_MEASURED) return;
    runtimeInstruments().handlerDuration.record((performance.now() - started) / 1000, {
      ...this.base(),
      'tandem.outcome': 'error',
      'error.type': errorType(error),
    });
  }

  private base(): Attributes {
    return {
      'tandem.handler.name': this.reg.contract.name,
      'tandem.handler.kind': this.reg.kind,
      'tandem.service': this.reg.service,
    };
  }
}
