import { describe } from 'vitest';
import { runStoreConformance } from '../testing/store-conformance.js';
import { MemoryStore } from './memory-store.js';
import type { MemoryTx } from './memory-tx.js';

describe('MemoryStore', () => {
  const store = new MemoryStore();
  const effects = new Map<string, number>();
  runStoreConformance<MemoryTx>({
    name: 'memory',
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
});

// Without an outbox, events are sent by the run itself: the inbox must not outlive a failed send.
describe('MemoryStore without an outbox', () => {
  const store = new MemoryStore({ outbox: false });
  const effects = new Map<string, number>();
  runStoreConformance<MemoryTx>({
    name: 'memory, no outbox',
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
});
