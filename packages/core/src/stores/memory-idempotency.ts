import type { IdempotencyBegin, IdempotencyStore, StoredResponse } from './store.js';

interface Entry {
  fingerprint: string;
  response?: StoredResponse;
  expiresAt: number;
}

/** Idempotency records in process memory: enough for one instance and for tests. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private lastSweep = 0;

  async begin(scope: string, key: string, fingerprint: string, ttlMs: number): Promise<IdempotencyBegin> {
    const id = `${scope}\u0000${key}`;
    const now = Date.now();
    this.sweep(now);
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt > now) {
      if (entry.fingerprint !== fingerprint) return { state: 'mismatch' };
      return entry.response ? { state: 'completed', response: entry.response } : { state: 'in-flight' };
    }
    this.entries.set(id, { fingerprint, expiresAt: now + ttlMs });
    return { state: 'started' };
  }

  async complete(scope: string, key: string, response: StoredResponse, ttlMs: number): Promise<void> {
    const entry = this.entries.get(`${scope}\u0000${key}`);
    if (!entry) return;
    entry.response = response;
    entry.expiresAt = Date.now() + ttlMs;
  }

  async release(scope: string, key: string): Promise<void> {
    const id = `${scope}\u0000${key}`;
    if (this.entries.get(id)?.response === undefined) this.entries.delete(id);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 1_000) return;
    this.lastSweep = now;
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(id);
  }
}
