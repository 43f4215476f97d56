import type { RunAbort } from './run-abort.js';

/** Counts runs in progress so that stop() can wait for them, with a deadline. */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  /**
   * Runs whose abort something reacts to (their `ctx.signal` was made, or the runtime ends
   * them at an abort): only they can see one, so only they are kept, in a list linked
   * through the runs themselves (RunAbort.watchPrev/watchNext), oldest first. A delivery's
   * run is watched from start to end, and linking costs less than a Set's add and delete.
   */
  private first: RunAbort | undefined = undefined;
  private last: RunAbort | undefined = undefined;
  private abortedWith: { reason: unknown } | undefined;

  get size(): number {
    return this.count;
  }

  /** A run begins; `leave` must follow once it settled, whatever its outcome. */
  enter(controller: RunAbort): void {
    this.count++;
    controller.watchedBy = this;
  }

  /** Called by a run once something reacts to its abort (its signal is made, or the runtime ends it then). */
  watch(controller: RunAbort): void {
    if (this.abortedWith) return controller.abort(this.abortedWith.reason);
    controller.watched = true;
    controller.watchPrev = this.last;
    if (this.last) this.last.watchNext = controller;
    else this.first = controller;
    this.last = controller;
  }

  leave(controller: RunAbort): void {
    if (controller.watched) this.unwatch(controller);
    if (--this.count === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  private unwatch(controller: RunAbort): void {
    const { watchPrev: prev, watchNext: next } = controller;
    if (prev) prev.watchNext = next;
    else this.first = next;
    if (next) next.watchPrev = prev;
    else this.last = prev;
    controller.watched = false;
    controller.watchPrev = controller.watchNext = undefined;
  }

  /** Resolves true when everything finished, false when `timeoutMs` passed first. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Aborts every run's signal, including signals that runs still in progress make later. */
  abortAll(reason: unknown): void {
    this.abortedWith = { reason };
    // Collected first: an abort can end a run at once, and its end unlinks it from this list.
    const watched: RunAbort[] = [];
    for (let run = this.first; run; run = run.watchNext) watched.push(run);
    for (const controller of watched) controller.abort(reason);
  }
}
