// Raw amqplib: one channel, prefetch, JSON.parse + zod, ack each message.
import { connect } from 'amqplib';
import { countHandled, name, prefetch, ready, url, validate } from './drain-counter.mjs';

const connection = await connect(url, { noDelay: true });
const channel = await connection.createChannel();
await channel.assertQueue(name, { durable: true });
await channel.prefetch(prefetch);
await channel.consume(name, (message) => {
  validate(JSON.parse(message.content.toString()));
  countHandled();
  channel.ack(message);
});
ready(name);
process.on('SIGTERM', () => void connection.close().then(() => process.exit(0)));
