// What both processes of the Kafka latency workload share: the mock cluster, the round's
// Kafka topic (raw) or topic prefix (Tandem) and its consumer group, and how long a fetch
// may wait for data and a message to share a produce request (the same for both sides).
export const brokers = (process.env.BENCH_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
/** Raw side: the Kafka topic. Tandem side: the prefix of its topic names (`<prefix>orders.sent`). */
export const kafkaTopic = process.env.BENCH_KAFKA_TOPIC ?? 'bench-latency.orders.sent';
export const prefix = process.env.BENCH_KAFKA_PREFIX ?? 'bench-latency.';
export const group = process.env.BENCH_GROUP ?? `bench-latency-${process.pid}`;
export const maxWaitTimeMs = Number(process.env.BENCH_MAX_WAIT_MS ?? 200);
/** Longest a published message waits to share a produce request, on both sides. */
export const lingerMs = Number(process.env.BENCH_LINGER_MS ?? 10);
