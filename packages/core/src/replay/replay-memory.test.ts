import { runReplayConformance } from '../testing/replay-conformance.js';
import { memoryStore } from '../stores/memory-store.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';

const broker = new MemoryBroker();
const store = memoryStore();

runReplayConformance({
  name: 'in-process broker, memory store',
  broker: () => new MemoryTransport({ broker }),
  store: () => store,
});
