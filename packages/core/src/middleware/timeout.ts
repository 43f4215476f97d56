import { TimeoutError } from '../errors/errors.js';
import type { Step } from './stage.js';

/** setTimeout fires at once for delays of 2^31 ms or more; such a deadline is as good as none. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * Arms the run's deadline: the earlier of the handler's `timeoutMs` and the caller's
 * deadline (`ctx.meta.deadline`). When it passes, the run aborts with a TimeoutError:
 * `ctx.signal` fires so the handler's own I/O can stop, and the unit of work ends at once
 * whether or not the handler listens (it rolls back and publishes nothing; see
 * unit-of-work.ts), unless it is already committing.
 */
export function withDeadline(next: Step): Step {
  return (inv) => {
    const own = inv.registration.options.timeoutMs;
    const callers = inv.ctx.meta.deadline;
    // Most runs have neither; this sits on every request's path, so no arrays here.
    if (own === undefined && callers === undefined) return next(inv);
    const deadline = Math.min(callers ?? Infinity, own === undefined ? Infinity : Date.now() + own);
    const remaining = deadline - Date.now();
    if (remaining > LONGEST_TIMER_MS) return next(inv);
    const error = new TimeoutError(
      `${inv.registration.handlerName} did not finish within its deadline (${Math.max(0, own ?? remaining)} ms)`,
    );
    if (remaining <= 0) {
      inv.controller.abort(error);
      return Promise.reject(error);
    }
    const timer = setTimeout(() => inv.controller.abort(error), remaining);
    const done = next(inv);
    // Until the unit has settled: an abort during a rollback changes nothing, but a run
    // still running past its answer must still be told its deadline passed.
    done.then(
      () => clearTimeout(timer),
      () => (inv.settlement ?? Promise.resolve()).then(() => clearTimeout(timer)),
    );
    return done;
  };
}
