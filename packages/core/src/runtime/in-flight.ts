import type { RunAbort } from './run-abort.js';

/** Counts runs in progress so that stop() can wait for them, with a deadline. */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  /**
   * Runs whose `ctx.signal` was made: only they can see an abort, so only they are kept
   * here (see RunAbort.watchedBy). Most runs never read the signal and cost no entry.
   */
  private readonly listening = new Set<RunAbort>();
  private abortedWith: { reason: unknown } | undefined;

  get size(): number {
    return this.count;
  }

  /** A run begins; `leave` must follow once it settled, whatever its outcome. */
  enter(controller: RunAbort): void {
    this.count++;
    controller.watchedBy = this;
  }

  /** Called by a run when its signal is first made. */
  watch(controller: RunAbort): void {
    if (this.abortedWith) controller.abort(this.abortedWith.reason);
    else this.listening.add(controller);
  }

  leave(controller: RunAbort): void {
    if (this.listening.size > 0) this.listening.delete(controller);
    if (--this.count === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
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
    for (const controller of this.listening) controller.abort(reason);
  }
}
