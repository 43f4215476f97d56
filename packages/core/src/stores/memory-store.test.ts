import { describe } from 'vitest';
import { runStoreConformance } from '../testing/store-conformance.js';
import { MemoryStore } from './memory-store.js';
import type { MemoryTx } from './memory-tx.js';

/** The conformance suite on a memory store, with a side effect applied when a transaction commits. */
function conformance(name: string, store: MemoryStore): void {
  const effects = new Map<string, number>();
  runStoreConformance<MemoryTx>({
    name,
    create: async () => store,
    effects: {
      async write(tx, id) {
        tx.onSettle((committed) => {
          if (committed) effects.set(id, (effects.get(id) ?? 0) + 1);
        });
      },
      async count(id) {
        return effects.get(id) ?? 0;
      },
    },
  });
}

describe('MemoryStore', () => conformance('memory', new MemoryStore()));

// Without an outbox, events are sent by the run itself: the inbox must not outlive a failed send.
describe('MemoryStore without an outbox', () => conformance('memory, no outbox', new MemoryStore({ outbox: false })));
