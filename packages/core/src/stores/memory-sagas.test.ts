import { describe } from 'vitest';
import { runSagaStoreConformance } from '../testing/saga-store-conformance.js';
import { MemoryStore } from './memory-store.js';
import type { MemoryTx } from './memory-tx.js';

describe('MemorySagaStore', () => {
  runSagaStoreConformance<MemoryTx>({ name: 'memory', create: async () => new MemoryStore() });
});
