export { runTransportConformance } from './conformance.js';
export { conformanceMessage, bodyOf, eventually, sleep, deferred, uniqueName } from './harness.js';
export type { TransportHarness } from './harness.js';
export { serviceAvailable, probeTcp } from './services.js';
