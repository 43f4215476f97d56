import { MemoryStore } from '../stores/memory-store.js';
import type { MemoryTx } from '../stores/memory-tx.js';
import { runSagaCrashConformance } from '../testing/saga-crash-conformance.js';

const store = new MemoryStore();
const committed: string[] = [];

runSagaCrashConformance({
  name: 'memory',
  store: () => store,
  recordRun: (tx, run) => (tx as MemoryTx).onSettle((ok) => void (ok && committed.push(run))),
  committedRuns: async (prefix) => committed.filter((run) => run.startsWith(prefix)),
});
