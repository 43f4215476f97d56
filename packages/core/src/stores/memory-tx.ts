/** A transaction of the in-process store: writes are buffered and applied on commit, dropped on rollback. */
export class MemoryTx {
  private readonly hooks: Array<(committed: boolean) => void> = [];
  private settled = false;

  /** Runs `hook` once the transaction commits (true) or rolls back (false). */
  onSettle(hook: (committed: boolean) => void): void {
    if (this.settled) throw new Error('memory store: this transaction has already ended');
    this.hooks.push(hook);
  }

  settle(committed: boolean): void {
    if (this.settled) return;
    this.settled = true;
    for (const hook of this.hooks) hook(committed);
  }

  /**
   * A nested transaction (the memory store's savepoint): what the child registers joins this
   * transaction when the child succeeds, and is rolled back alone when it fails.
   */
  child(): MemoryTx {
    const child = new MemoryTx();
    child.parent = this;
    return child;
  }

  private parent: MemoryTx | undefined = undefined;

  /** The outermost transaction: locks are held by it, so a savepoint never waits for its own parent. */
  get root(): MemoryTx {
    return this.parent ? this.parent.root : this;
  }

  /** Ends a child: its hooks move to the parent on success, run as a rollback on failure. */
  release(succeeded: boolean): void {
    if (this.settled) return;
    if (!succeeded || !this.parent) return this.settle(false);
    this.settled = true;
    for (const hook of this.hooks) this.parent.onSettle(hook);
  }
}
