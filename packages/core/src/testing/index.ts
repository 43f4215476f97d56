export { runTransportConformance } from './conformance.js';
export { conformanceMessage, bodyOf, eventually, sleep, deferred, uniqueName } from './harness.js';
export type { TransportHarness } from './harness.js';
export { serviceAvailable, probeTcp } from './services.js';
export { runStoreConformance } from './store-conformance.js';
export { storeTestContracts, uniqueSegment } from './store-harness.js';
export { RefusingTransport } from './refusing-transport.js';
export type { StoreHarness } from './store-harness.js';
