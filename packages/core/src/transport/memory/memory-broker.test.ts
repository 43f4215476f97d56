import { runTransportConformance } from '../../testing/conformance.js';
import { MemoryBroker, MemoryTransport } from './memory-broker.js';

const broker = new MemoryBroker();

runTransportConformance({
  name: 'memory',
  create: () => new MemoryTransport({ broker }),
  crash: async (transport) => (transport as MemoryTransport).crash(),
  retryDelaySlackMs: 200,
});
