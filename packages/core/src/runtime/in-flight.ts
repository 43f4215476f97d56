import type { RunAbort } from './run-abort.js';

/** Counts runs in progress so that stop() can wait for them, with a deadline. */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  /**
   * Runs whose abort something reacts to (their `ctx.signal` was made, or the runtime ends
   * them at an abort): only they can see one, so only they are kept. Each knows its index
   * (RunAbort.watchIndex), so leaving is a swap with the last, not a search or a Set's delete.
   */
  private readonly watched: RunAbort[] = [];
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
    controller.watchIndex = this.watched.length;
    this.watched.push(controller);
  }

  leave(controller: RunAbort): void {
    if (controller.watchIndex >= 0) this.unwatch(controller);
    if (--this.count === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  private unwatch(controller: RunAbort): void {
    const last = this.watched.pop()!;
    if (last !== controller) {
      this.watched[controller.watchIndex] = last;
      last.watchIndex = controller.watchIndex;
    }
    controller.watchIndex = -1;
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
    // A copy: an abort can end a run at once, and its end takes it out of `watched`.
    for (const controller of [...this.watched]) controller.abort(reason);
  }
}
