export { RabbitMQTransport, rabbitmqTransport, brokerFromUrl } from './transport.js';
export type { RabbitMQTransportOptions } from './options.js';
export type { TopologyNames } from './names.js';
export { defaultNames, DEFAULT_DELAY_LEVELS_MS, delayLevelFor } from './names.js';
export type { DeclaredNames } from './topology.js';
export type { PublishFailure } from './publisher.js';
export { AMQP_BINDING } from './codec.js';
