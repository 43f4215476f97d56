import type { RunAbort } from './run-abort.js';

/** Counts runs in progress so that stop() can wait for them, with a deadline. */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  readonly controllers = new Set<RunAbort>();

  get size(): number {
    return this.count;
  }

  /** Plain promise callbacks instead of async/finally: this sits on every request's path. */
  track<T>(controller: RunAbort, run: () => Promise<T>): Promise<T> {
    this.count++;
    this.controllers.add(controller);
    let running: Promise<T>;
    try {
      running = run();
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.then(
      (value) => {
        this.settle(controller);
        return value;
      },
      (error: unknown) => {
        this.settle(controller);
        throw error;
      },
    );
  }

  private settle(controller: RunAbort): void {
    this.controllers.delete(controller);
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

  abortAll(reason: unknown): void {
    for (const controller of this.controllers) controller.abort(reason);
  }
}
