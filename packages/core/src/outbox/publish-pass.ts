import type { OutboxRecord } from '../stores/store.js';

/** What one pass needs from the relay: the broker, and what to do with each outcome. */
export interface PassSteps {
  /** Sends records to the broker; resolves when it confirmed all of them. */
  publish(records: OutboxRecord[]): Promise<void>;
  /** The broker confirmed these: mark them published. */
  confirmed(records: OutboxRecord[]): Promise<void>;
  /** The broker refused this record on its own: count the attempt. */
  refused(record: OutboxRecord, error: unknown): Promise<void>;
}

export interface PassResult {
  /** Records the broker confirmed in this pass. */
  accepted: number;
  /** Records it refused on their own. */
  refused: number;
  /** The last refusal's error. */
  lastError?: unknown;
}

/**
 * Publishes one claim of outbox records so that a record the broker always refuses
 * cannot hold up the others:
 *
 * - Records never refused go first, as one batch; records refused before go after them,
 *   as another. A refused batch is split in halves (older half first) until the refused
 *   record is alone; only a record refused alone is counted as refused.
 * - Once a record is refused, the later records of its key are left out for the rest of
 *   the pass, so none overtakes it. Records of other keys, and keyless ones, go on.
 * - While the broker has accepted nothing in the pass, the first record refused alone ends
 *   it: the broker is probably down, and trying (and counting against) every other record
 *   would only multiply the failed calls. The relay waits with its failure backoff.
 *
 * Errors from `confirmed` or `refused` (the store) end the pass and reach the caller.
 */
export async function publishPass(records: OutboxRecord[], steps: PassSteps): Promise<PassResult> {
  const result: PassResult = { accepted: 0, refused: 0 };
  const fresh = records.filter((r) => r.attempts === 0);
  const retried = records.filter((r) => r.attempts > 0);
  const queue = [fresh, retried].filter((piece) => piece.length > 0);
  const held = new Set<string>();
  while (queue.length > 0) {
    const piece = queue.shift()!.filter((r) => r.message.key === undefined || !held.has(r.message.key));
    if (piece.length === 0) continue;
    try {
      await steps.publish(piece);
    } catch (error) {
      if (piece.length > 1) {
        const half = Math.ceil(piece.length / 2);
        queue.unshift(piece.slice(0, half), piece.slice(half));
        continue;
      }
      const record = piece[0]!;
      if (record.message.key !== undefined) held.add(record.message.key);
      result.refused++;
      result.lastError = error;
      await steps.refused(record, error);
      if (result.accepted === 0) break;
      continue;
    }
    await steps.confirmed(piece);
    result.accepted += piece.length;
  }
  return result;
}
