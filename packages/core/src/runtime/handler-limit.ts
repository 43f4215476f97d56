/**
 * The most runs of one handler at a time, as its `concurrency` option declares. A consumer
 * group's subscription may run more messages at once (it serves several handlers); this
 * keeps each handler to its own bound.
 */
export class HandlerLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`a handler's concurrency must be a positive integer, got ${limit}`);
  }

  /** Resolves when a run may start; `release` must follow once it ended. */
  acquire(): Promise<void> | undefined {
    if (this.running < this.limit) {
      this.running++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `running` stays as it is.
    if (next) next();
    else this.running--;
  }

  get active(): number {
    return this.running;
  }
}
