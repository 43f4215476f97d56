// The publisher process of the latency workload (BENCH_SIDE raw or tandem): raw amqplib on
// a confirm channel with noDelay, or a Tandem app's `app.publish` (which validates and waits
// for the broker's confirm), each at BENCH_RATE per second without waiting between messages.
import { connect } from 'amqplib';
import { createApp, defineEvent, silentLogger } from '@tandem/core';
import { RabbitMQTransport } from '@tandem/transport-rabbitmq';
import { name, order, OrderSent, paced, rawExchange, topic, url } from './latency-event.mjs';

const failed = (error) => {
  console.error(error);
  process.exit(1);
};

let send;
if (process.env.BENCH_SIDE === 'raw') {
  const connection = await connect(url, { noDelay: true });
  const channel = await connection.createConfirmChannel();
  send = (seq) =>
    channel.publish(
      rawExchange,
      topic,
      Buffer.from(JSON.stringify(OrderSent.parse(order(seq)))),
      { persistent: true, contentType: 'application/json' },
      (error) => error && failed(error),
    );
} else {
  const OrderEvent = defineEvent(topic, { data: OrderSent });
  const broker = new RabbitMQTransport({ url, prefix: name, logger: silentLogger });
  const app = createApp({ services: [], broker, logger: silentLogger, name: 'bench' });
  await app.start();
  send = (seq) => void app.publish(OrderEvent, order(seq), { key: `k${seq % 64}` }).catch(failed);
}
console.log(`listening ${name}`);
await paced(send);
process.on('SIGTERM', () => process.exit(0));
