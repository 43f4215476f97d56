export { main } from './main.js';
export type { Io } from './main.js';
export { parseOptions, usage } from './options.js';
export type { Options } from './options.js';
export { generate } from './generate.js';
export { UsageError } from './errors.js';
export { brokers, stores } from './choices.js';
export type { BrokerName, StoreName, Choice } from './choices.js';
