// Raw kafkajs, eachBatch as its docs recommend for throughput: JSON.parse + zod per record,
// resolveOffset after each record, a heartbeat per batch, kafkajs's auto-commit of what was
// resolved (after each batch); a batch stops early when the consumer stops or rebalances.
// BENCH_STRUCTURED=1: the records are CloudEvents in structured mode; the data is the value's `data`.
import { Kafka, logLevel } from 'kafkajs';
import { countHandled, ready, validate } from './drain-counter.mjs';
import { brokers, group, topic } from './kafka-env.mjs';

const structured = process.env.BENCH_STRUCTURED === '1';
const kafka = new Kafka({ brokers, clientId: 'bench-raw', logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
// kafkajs's default of one partition at a time: with 4 at once this consumer waits (about
// 29,000 events/s against 65,000 in one run here, at the same CPU per event).
await consumer.run({
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const value = JSON.parse(message.value.toString());
      validate(structured ? value.data : value);
      countHandled();
      resolveOffset(message.offset);
    }
    await heartbeat();
  },
});
ready(topic);
process.on('SIGTERM', () => void consumer.disconnect().then(() => process.exit(0)));
