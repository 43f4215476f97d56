// The publisher process of the Kafka latency workload (BENCH_SIDE raw or tandem): raw kafkajs
// `producer.send` (acks=all, at most lingerMs of batching, one request in flight, as Tandem's
// producer), or a Tandem app's `app.publish` (validates, same lingerMs, waits for the ack), each
// at BENCH_RATE per second without waiting between messages.
import { Kafka, logLevel } from 'kafkajs';
import { createApp, defineEvent, silentLogger } from '@tandem/core';
import { KafkaTransport } from '@tandem/transport-kafka';
import { order, OrderSent, paced, topic } from '../rabbitmq/latency-event.mjs';
import { brokers, kafkaTopic, lingerMs, prefix } from './latency-env.mjs';

const failed = (error) => {
  console.error(error);
  process.exit(1);
};

let send;
if (process.env.BENCH_SIDE === 'raw') {
  const kafka = new Kafka({ brokers, clientId: 'bench-latency-raw', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  // As Tandem's producer does: a message waits at most lingerMs to share a request, and one
  // request is in flight; what comes meanwhile goes out right after it.
  let queued = [];
  let inFlight = false;
  let timer;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (inFlight || queued.length === 0) return;
    const messages = queued;
    queued = [];
    inFlight = true;
    producer
      .send({ topic: kafkaTopic, acks: -1, messages })
      .then(() => {
        inFlight = false;
        flush();
      })
      .catch(failed);
  };
  send = (seq) => {
    queued.push({ key: `k${seq % 64}`, value: JSON.stringify(OrderSent.parse(order(seq))) });
    timer ??= setTimeout(flush, lingerMs);
  };
} else {
  const OrderEvent = defineEvent(topic, { data: OrderSent });
  const broker = new KafkaTransport({
    brokers,
    clientId: 'bench-latency-tandem',
    topicPrefix: prefix,
    createTopics: false,
    idempotent: false,
    lingerMs,
    logger: silentLogger,
  });
  const app = createApp({ services: [], broker, logger: silentLogger, name: 'bench' });
  await app.start();
  send = (seq) => void app.publish(OrderEvent, order(seq), { key: `k${seq % 64}` }).catch(failed);
}
console.log('listening publisher');
await paced(send);
process.on('SIGTERM', () => process.exit(0));
