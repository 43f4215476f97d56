/** Counts runs in progress so that stop() can wait for them, with a deadline. */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  readonly controllers = new Set<AbortController>();

  get size(): number {
    return this.count;
  }

  async track<T>(controller: AbortController, run: () => Promise<T>): Promise<T> {
    this.count++;
    this.controllers.add(controller);
    try {
      return await run();
    } finally {
      this.controllers.delete(controller);
      if (--this.count === 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const wake of waiters) wake();
      }
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
