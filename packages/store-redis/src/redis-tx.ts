/**
 * A "transaction" of the Redis store: Redis cannot join the handler's database
 * transaction, so what the store writes is applied after the handler succeeded (commit)
 * or undone after it failed (rollback), in the order it was registered.
 */
export class RedisTx {
  private readonly hooks: Array<(committed: boolean) => Promise<unknown>> = [];

  onSettle(hook: (committed: boolean) => Promise<unknown>): void {
    this.hooks.push(hook);
  }

  async settle(committed: boolean): Promise<void> {
    for (const hook of this.hooks.splice(0)) await hook(committed);
  }
}
