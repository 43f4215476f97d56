// The consumer process of the latency workload (BENCH_SIDE raw or tandem): records
// publish -> handler time of each measured message and, once all arrived, prints
// "latency <p50> <p99> <max> <CPU µs per measured message>".
import { connect } from 'amqplib';
import { createApp, defineEvent, service, silentLogger } from '@tandem/core';
import { RabbitMQTransport } from '@tandem/transport-rabbitmq';
import { percentile } from '../lib/stats.mjs';
import { measured, name, now, OrderSent, rawExchange, rawQueue, topic, total, url, warm } from './latency-event.mjs';

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
  const connection = await connect(url, { noDelay: true });
  const channel = await connection.createChannel();
  await channel.assertExchange(rawExchange, 'topic', { durable: true });
  await channel.assertQueue(rawQueue, { durable: true });
  await channel.bindQueue(rawQueue, rawExchange, topic);
  await channel.prefetch(100);
  await channel.consume(rawQueue, (message) => {
    record(OrderSent.parse(JSON.parse(message.content.toString())));
    channel.ack(message);
  });
  stop = () => connection.close();
} else {
  const OrderEvent = defineEvent(topic, { data: OrderSent });
  const orders = service('orders').onEvent(OrderEvent, async (event) => record(event));
  const broker = new RabbitMQTransport({ url, prefix: name, prefetch: 100, logger: silentLogger });
  const app = createApp({ services: [orders], broker, logger: silentLogger });
  await app.start();
  stop = () => app.stop();
}
console.log(`listening ${name}`);
process.on('SIGTERM', () => void stop().then(() => process.exit(0)));
