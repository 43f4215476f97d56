// Raw kafkajs: eachBatch with auto-resolve and auto-commit, JSON.parse + zod per record.
import { Kafka, logLevel } from 'kafkajs';
import { countHandled, ready, validate } from './drain-counter.mjs';
import { brokers, group, topic } from './kafka-env.mjs';

const kafka = new Kafka({ brokers, clientId: 'bench-raw', logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: 4,
  eachBatch: async ({ batch }) => {
    for (const message of batch.messages) {
      validate(JSON.parse(message.value.toString()));
      countHandled();
    }
  },
});
ready(topic);
process.on('SIGTERM', () => void consumer.disconnect().then(() => process.exit(0)));
