// What the Kafka consumer processes share: the mock cluster's bootstrap, topic and a fresh
// group per start (so every start reads the filled topic from the beginning).
export const brokers = (process.env.BENCH_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const topic = process.env.BENCH_TOPIC ?? 'orders.placed';
export const group = process.env.BENCH_GROUP ?? `bench-${process.pid}`;
