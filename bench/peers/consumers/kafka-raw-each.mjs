// Raw kafkajs, eachMessage: JSON.parse + zod per record; kafkajs resolves each offset after
// its handler and auto-commits (after each batch).
import { Kafka, logLevel } from 'kafkajs';
import { countHandled, ready, validate } from './drain-counter.mjs';
import { brokers, group, topic } from './kafka-env.mjs';

const kafka = new Kafka({ brokers, clientId: 'bench-raw-each', logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: 4,
  eachMessage: async ({ message }) => {
    validate(JSON.parse(message.value.toString()));
    countHandled();
  },
});
ready(topic);
process.on('SIGTERM', () => void consumer.disconnect().then(() => process.exit(0)));
