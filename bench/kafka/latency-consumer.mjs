// The consumer process of the Kafka latency workload (BENCH_SIDE raw or tandem): raw kafkajs
// eachMessage (JSON.parse + zod, offsets committed every 100 ms) or Tandem's
// `onEvent` handler. Records publish -> handler time of each measured message and, once all
// arrived, prints "latency <p50> <p99> <max> <CPU µs per measured message>". Prints
// "listening" only once its consumer has joined the group, so nothing is published before.
import { Kafka, logLevel } from 'kafkajs';
import { createApp, defineEvent, service, silentLogger } from '@tandem/core';
import { KafkaTransport } from '@tandem/transport-kafka';
import { percentile } from '../lib/stats.mjs';
import { measured, now, OrderSent, topic, total, warm } from '../rabbitmq/latency-event.mjs';
import { brokers, group, kafkaTopic, maxWaitTimeMs, prefix } from './latency-env.mjs';

const samples = new Float64Array(measured);
let received = 0;
let cpuAtStart;

function record(event) {
  const latency = now() - event.sentAt;
  if (event.seq === warm) cpuAtStart = process.cpuUsage();
  if (event.seq >= warm) samples[event.seq - warm] = latency;
  if (++received === total) {
    const cpu = process.cpuUsage(cpuAtStart);
    const sorted = Array.from(samples);
    console.log(
      `latency ${percentile(sorted, 50)} ${percentile(sorted, 99)} ${Math.max(...sorted)} ${(cpu.user + cpu.system) / measured}`,
    );
  }
}

let stop;
if (process.env.BENCH_SIDE === 'raw') {
  const kafka = new Kafka({ brokers, clientId: 'bench-latency-raw', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: maxWaitTimeMs });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.connect();
  await consumer.subscribe({ topics: [kafkaTopic], fromBeginning: true });
  // Committed every 100 ms, as Tandem does (commitIntervalMs): kafkajs's autoCommit sends a
  // commit after every batch and waits for it, which on small batches is most of the work.
  const done = new Map();
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachMessage: async ({ partition, message }) => {
      record(OrderSent.parse(JSON.parse(message.value.toString())));
      done.set(partition, message.offset);
    },
  });
  const committer = setInterval(() => {
    if (done.size === 0) return;
    const partitions = [...done].map(([partition, offset]) => ({
      topic: kafkaTopic,
      partition,
      offset: String(BigInt(offset) + 1n),
    }));
    done.clear();
    consumer.commitOffsets(partitions).catch(() => undefined);
  }, 100);
  await joined;
  stop = () => {
    clearInterval(committer);
    return consumer.disconnect();
  };
} else {
  const OrderEvent = defineEvent(topic, { data: OrderSent });
  const orders = service('orders').onEvent(OrderEvent, async (event) => record(event), { group });
  // The mock cluster has no CreateTopics and no controller for the idempotent producer.
  const broker = new KafkaTransport({
    brokers,
    clientId: 'bench-latency-tandem',
    topicPrefix: prefix,
    createTopics: false,
    idempotent: false,
    maxWaitTimeMs,
    logger: silentLogger,
  });
  const app = createApp({ services: [orders], broker, logger: silentLogger });
  await app.start(); // resolves once the subscription has joined its group
  stop = () => app.stop();
}
console.log(`listening ${group}`);
process.on('SIGTERM', () => void stop().then(() => process.exit(0)));
