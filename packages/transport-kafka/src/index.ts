export { KafkaTransport } from './transport.js';
export type { KafkaTransportOptions } from './options.js';
export { brokerFromUrl, kafkaOptionsFromUrl } from './url.js';
export { defaultTopicNames, delayLabel, DEFAULT_RETRY_LEVELS_MS } from './names.js';
export type { KafkaTopicNames } from './names.js';
export { KAFKA_BINDING, encodeRecord, decodeRecord } from './codec.js';

import type { KafkaTransportOptions } from './options.js';
import { KafkaTransport } from './transport.js';

/** A Kafka transport; `kafkaTransport({ brokers: ['localhost:9092'] })`. */
export function kafkaTransport(options: KafkaTransportOptions): KafkaTransport {
  return new KafkaTransport(options);
}
