import { runSagaConformance } from '../testing/saga-conformance.js';
import { MemoryStore } from '../stores/memory-store.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';

const broker = new MemoryBroker();
const store = new MemoryStore();

runSagaConformance({
  name: 'memory broker, memory store',
  broker: () => new MemoryTransport({ broker }),
  store: () => store,
});
