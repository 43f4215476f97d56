import { compose } from '../middleware/compose.js';
import type { Step } from '../middleware/stage.js';
import { withDeadline } from '../middleware/timeout.js';
import { outputChecked, validated } from '../middleware/validation.js';
import { resolveValidationLimits } from '../middleware/validation-limits.js';
import { HandlerMetrics } from '../metrics/handler-metrics.js';
import { MemoryIdempotencyStore } from '../stores/memory-idempotency.js';
import { DEFAULT_MAX_STORED_BYTES, idempotent, type IdempotencySettings } from './idempotency.js';
import type { RuntimeDeps } from './runtime.js';
import type { HandlerRegistration } from './service.js';
import { runUnitOfWork } from './unit-of-work.js';

/** A handler's steps, built once at start. */
export interface HandlerSteps {
  /** Middleware, validation, deadline and unit of work; events are sent inside it. */
  full: Step;
  /**
   * Validation and the handler alone, for runs that need nothing else (no store, no
   * middleware, no deadline, no idempotency key): the run's completion sends its events.
   * Undefined when the handler always needs `full`.
   */
  direct: Step | undefined;
  metrics: HandlerMetrics;
}

/** Calls the handler. Events it publishes stay pending for the unit of work (or the run's end) to send. */
const callHandler: Step = (inv) => {
  try {
    return Promise.resolve(inv.registration.fn(inv.input, inv.ctx));
  } catch (error) {
    return Promise.reject(error);
  }
};

/** Where idempotency keys live and for how long: the app's options over the store's records. */
export function idempotencySettings(deps: RuntimeDeps): IdempotencySettings {
  const options = deps.idempotency ?? {};
  const appStore = deps.store?.idempotency;
  const store = options.store ?? appStore ?? new MemoryIdempotencyStore();
  return {
    store,
    ttlMs: options.ttlMs ?? 24 * 60 * 60_000,
    leaseMs: options.leaseMs ?? 10_000,
    maxStoredBytes: options.maxStoredBytes ?? DEFAULT_MAX_STORED_BYTES,
    inTx: store === appStore && typeof store.completeIn === 'function',
    log: deps.log,
  };
}

/**
 * Every handler's steps, outermost first: app middleware, the handler's own, validation,
 * deadline, idempotency key, then the unit of work.
 */
export function handlerSteps(deps: RuntimeDeps, keys: IdempotencySettings): Map<HandlerRegistration, HandlerSteps> {
  const steps = new Map<HandlerRegistration, HandlerSteps>();
  const groupOf = new Map<HandlerRegistration, string>();
  for (const group of deps.registry.groups.values())
    for (const h of group.handlers.values()) groupOf.set(h, group.name);
  const handler = deps.checkOutput ? outputChecked(callHandler) : callHandler;
  const limits = resolveValidationLimits(deps.validation);
  for (const svc of deps.registry.services) {
    for (const reg of svc.handlers) {
      const group = groupOf.get(reg);
      const unit = { store: deps.store, broker: deps.broker, handler, ...(group !== undefined ? { group } : {}) };
      const inner = validated(withDeadline(idempotent((inv) => runUnitOfWork(inv, unit), keys)), limits);
      const user = [...deps.middleware, ...(reg.options.middleware ?? [])];
      // An event run on the direct path still ends at an abort (Runtime.runDirect), so that
      // a consumed message frees its consumer's slot even if the handler never returns.
      const direct =
        user.length === 0 && !deps.store && reg.options.timeoutMs === undefined
          ? validated(handler, limits)
          : undefined;
      steps.set(reg, {
        full: user.length > 0 ? compose(user, inner) : inner,
        direct,
        metrics: new HandlerMetrics(reg),
      });
    }
  }
  return steps;
}
