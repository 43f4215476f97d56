import {
  endedSagaStatuses,
  type SagaCount,
  type SagaInstance,
  type SagaQuery,
  type SagaStore,
} from '../sagas/saga-store.js';
import type { MemoryTx } from './memory-tx.js';

interface Lock {
  owner: MemoryTx;
  released: Promise<void>;
}

/**
 * Saga instances in process memory, with the database stores' semantics: a transaction
 * that loads an instance holds it until it ends (others wait), writes are applied when it
 * commits, and each save checks the version. Instances are copied in and out, so a step
 * that changes the object it was given changes nothing stored.
 */
export class MemorySagaStore implements SagaStore<MemoryTx> {
  private readonly rows = new Map<string, SagaInstance>();
  private readonly locks = new Map<string, Lock>();
  /** Writes of open transactions, applied on commit. */
  private readonly staged = new Map<MemoryTx, Map<string, SagaInstance>>();

  async load(tx: MemoryTx, saga: string, id: string): Promise<SagaInstance | undefined> {
    const key = keyOf(saga, id);
    await this.lock(tx.root, key);
    const row = this.staged.get(tx.root)?.get(key) ?? this.rows.get(key);
    return row ? structuredClone(row) : undefined;
  }

  async save(tx: MemoryTx, instance: SagaInstance, expectedVersion: number): Promise<boolean> {
    const root = tx.root;
    const key = keyOf(instance.saga, instance.id);
    await this.lock(root, key);
    const current = this.staged.get(root)?.get(key) ?? this.rows.get(key);
    if ((current?.version ?? 0) !== expectedVersion) return false;
    let writes = this.staged.get(root);
    if (!writes) {
      this.staged.set(root, (writes = new Map()));
      root.onSettle(() => this.staged.delete(root));
    }
    const row = structuredClone(instance);
    writes.set(key, row);
    // On `tx`, not the root: a savepoint that rolls back drops its own writes (hooks run in order, so the last write wins).
    tx.onSettle((committed) => {
      if (committed) this.rows.set(key, row);
    });
    return true;
  }

  async claimDue(tx: MemoryTx, now: number, limit: number): Promise<SagaInstance[]> {
    const root = tx.root;
    const due = [...this.rows.values()]
      .filter((row) => row.dueAt !== undefined && row.dueAt <= now)
      .sort((a, b) => a.dueAt! - b.dueAt!);
    const claimed: SagaInstance[] = [];
    for (const row of due) {
      if (claimed.length >= limit) break;
      const key = keyOf(row.saga, row.id);
      const held = this.locks.get(key);
      if (held && held.owner !== root) continue;
      await this.lock(root, key);
      claimed.push(structuredClone(row));
    }
    return claimed;
  }

  async list(query: SagaQuery = {}): Promise<SagaInstance[]> {
    const statuses = query.status === undefined ? undefined : ([] as string[]).concat(query.status);
    return [...this.rows.values()]
      .filter(
        (row) =>
          (query.saga === undefined || row.saga === query.saga) &&
          (statuses === undefined || statuses.includes(row.status)) &&
          (query.updatedBefore === undefined || row.updatedAt < query.updatedBefore),
      )
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, query.limit ?? 100)
      .map((row) => structuredClone(row));
  }

  async get(saga: string, id: string): Promise<SagaInstance | undefined> {
    const row = this.rows.get(keyOf(saga, id));
    return row ? structuredClone(row) : undefined;
  }

  async counts(): Promise<SagaCount[]> {
    const counts = new Map<string, SagaCount>();
    for (const row of this.rows.values()) {
      const key = keyOf(row.saga, row.status);
      const count = counts.get(key);
      if (!count) counts.set(key, { saga: row.saga, status: row.status, count: 1, oldestUpdatedAt: row.updatedAt });
      else {
        count.count++;
        count.oldestUpdatedAt = Math.min(count.oldestUpdatedAt, row.updatedAt);
      }
    }
    return [...counts.values()].sort((a, b) => a.saga.localeCompare(b.saga) || a.status.localeCompare(b.status));
  }

  async purgeEnded(before: number, limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    let purged = 0;
    for (const [key, row] of this.rows) {
      if (purged >= limit) break;
      if (!endedSagaStatuses.includes(row.status) || row.updatedAt >= before || this.locks.has(key)) continue;
      this.rows.delete(key);
      purged++;
    }
    return purged;
  }

  /** Holds `key` for `owner` until it settles, waiting for another holder first. */
  private async lock(owner: MemoryTx, key: string): Promise<void> {
    for (;;) {
      const held = this.locks.get(key);
      if (!held) break;
      if (held.owner === owner) return;
      await held.released;
    }
    let release!: () => void;
    this.locks.set(key, { owner, released: new Promise<void>((resolve) => (release = resolve)) });
    owner.onSettle(() => {
      this.locks.delete(key);
      release();
    });
  }
}

function keyOf(saga: string, id: string): string {
  return `${saga}\u0000${id}`;
}
