import type { MemoryTx } from './memory-tx.js';
import type { InboxStore } from './store.js';

/**
 * The inbox in process memory. A second delivery of a message that is still being
 * handled waits for the first one's transaction: if it commits, the second is a
 * duplicate; if it rolls back, the second runs.
 */
export class MemoryInbox implements InboxStore<MemoryTx> {
  /** Insertion order is handling order, so expiry sweeps from the front. */
  private readonly handled = new Map<string, number>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly retentionMs: number) {}

  async record(tx: MemoryTx, group: string, messageId: string): Promise<boolean> {
    const id = `${group}\u0000${messageId}`;
    for (;;) {
      this.sweep();
      if (this.handled.has(id)) return false;
      const running = this.pending.get(id);
      if (!running) break;
      await running;
    }
    let settle!: () => void;
    this.pending.set(id, new Promise<void>((resolve) => (settle = resolve)));
    tx.onSettle((committed) => {
      this.pending.delete(id);
      if (committed) this.handled.set(id, Date.now());
      settle();
    });
    return true;
  }

  private sweep(): void {
    const oldest = Date.now() - this.retentionMs;
    for (const [id, at] of this.handled) {
      if (at > oldest) break;
      this.handled.delete(id);
    }
  }
}
