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
}
