import { countEvictions } from '../metrics/store-metrics.js';
import type { MemoryTx } from './memory-tx.js';
import type { InboxStore } from './store.js';

/** Bounds of the in-memory inbox. */
export interface MemoryInboxOptions {
  /** Handled message ids kept at most; past it the oldest are forgotten. Default 100,000. */
  maxEntries?: number;
  /** Estimated bytes of ids kept at most (UTF-16, plus a fixed cost each). Default 16 MiB. */
  maxBytes?: number;
}

/** What an id costs besides its characters: the Map slot and its timestamp. */
const ENTRY_OVERHEAD = 80;

/**
 * The inbox in process memory. A second delivery of a message that is still being
 * handled waits for the first one's transaction: if it commits, the second is a
 * duplicate; if it rolls back, the second runs.
 *
 * Every handled message adds an id for the retention period (7 days by default), and ids
 * come from producers: so it is bounded by count and size as well. Past a bound the oldest
 * ids are forgotten first, as at the end of their retention: a redelivery that old is
 * handled again.
 */
export class MemoryInbox implements InboxStore<MemoryTx> {
  /** Insertion order is handling order, so expiry sweeps from the front. */
  private readonly handled = new Map<string, number>();
  private readonly pending = new Map<string, Promise<void>>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  /** Ids forgotten to stay within the bounds, since creation (also counted as `tandem.store.evictions`). */
  evicted = 0;

  constructor(
    private readonly retentionMs: number,
    options: MemoryInboxOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  /** Ids kept now, and their estimated bytes. */
  get usage(): { entries: number; bytes: number } {
    return { entries: this.handled.size, bytes: this.bytes };
  }

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
      if (committed) this.add(id);
      settle();
    });
    return true;
  }

  private add(id: string): void {
    this.handled.set(id, Date.now());
    this.bytes += sizeOf(id);
    let dropped = 0;
    for (const oldest of this.handled.keys()) {
      if (this.handled.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.forget(oldest);
      dropped++;
    }
    if (dropped === 0) return;
    this.evicted += dropped;
    countEvictions('inbox', dropped);
  }

  private forget(id: string): void {
    this.handled.delete(id);
    this.bytes -= sizeOf(id);
  }

  private sweep(): void {
    const oldest = Date.now() - this.retentionMs;
    for (const [id, at] of this.handled) {
      if (at > oldest) break;
      this.forget(id);
    }
  }
}

function sizeOf(id: string): number {
  return ENTRY_OVERHEAD + 2 * id.length;
}
