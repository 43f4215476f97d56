import { TimeoutError } from '../errors/errors.js';
import type { Step } from './stage.js';

/**
 * Ends a run at its deadline: the earlier of the handler's `timeoutMs` and the caller's
 * deadline (`ctx.meta.deadline`). `ctx.signal` aborts with a TimeoutError so the handler's
 * own I/O can stop, and the run rejects at once whether or not the handler listens.
 */
export function withDeadline(next: Step): Step {
  return (inv) => {
    const own = inv.registration.options.timeoutMs;
    const callers = inv.ctx.meta.deadline;
    // Most runs have neither; this sits on every request's path, so no arrays here.
    if (own === undefined && callers === undefined) return next(inv);
    const deadline = Math.min(callers ?? Infinity, own === undefined ? Infinity : Date.now() + own);
    const remaining = deadline - Date.now();
    const error = new TimeoutError(
      `${inv.registration.handlerName} did not finish within its deadline (${Math.max(0, own ?? remaining)} ms)`,
    );
    if (remaining <= 0) {
      inv.controller.abort(error);
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        inv.controller.abort(error);
        reject(error);
      }, remaining);
      next(inv).then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (cause: unknown) => {
          clearTimeout(timer);
          reject(cause);
        },
      );
    });
  };
}
