/**
 * A "transaction" of the Redis store: Redis cannot join the handler's database
 * transaction, so what the store writes is applied after the handler succeeded (commit)
 * or undone after it failed (rollback), in the order it was registered.
 */
export class RedisTx {
  private readonly hooks: Array<(committed: boolean) => Promise<unknown>> = [];
  private parent: RedisTx | undefined = undefined;
  private ended = false;

  onSettle(hook: (committed: boolean) => Promise<unknown>): void {
    this.hooks.push(hook);
  }

  async settle(committed: boolean): Promise<void> {
    this.ended = true;
    for (const hook of this.hooks.splice(0)) await hook(committed);
  }

  /** A nested transaction (a savepoint): its hooks join this one if it succeeds, and roll back alone if not. */
  child(): RedisTx {
    const child = new RedisTx();
    child.parent = this;
    return child;
  }

  /** Ends a child: its hooks move to the parent on success, run as a rollback on failure. */
  async release(succeeded: boolean): Promise<void> {
    if (this.ended) return;
    if (!succeeded || !this.parent) return this.settle(false);
    this.ended = true;
    for (const hook of this.hooks.splice(0)) this.parent.onSettle(hook);
  }
}
