// Raw amqplib with `multiple` acks: one channel, prefetch, JSON.parse + zod, and one
// basic.ack covering every message so far once half the prefetch window is unacked (or
// on a 5 ms timer for the rest). The floor for a consumer that batches its acks, as
// Tandem's does; a handler that runs in delivery order may ack this way.
import { connect } from 'amqplib';
import { countHandled, name, prefetch, ready, url, validate } from './drain-counter.mjs';

const every = Math.max(1, prefetch >> 1);
const connection = await connect(url, { noDelay: true });
const channel = await connection.createChannel();
await channel.assertQueue(name, { durable: true });
await channel.prefetch(prefetch);
let last;
let unacked = 0;
let timer;
let closing = false;
const flush = () => {
  timer = undefined;
  // A flush due after SIGTERM would ack on a closing connection, which amqplib throws for.
  if (unacked === 0 || closing) return;
  channel.ack(last, true);
  unacked = 0;
};
await channel.consume(name, (message) => {
  validate(JSON.parse(message.content.toString()));
  countHandled();
  last = message;
  if (++unacked >= every) flush();
  else timer ??= setTimeout(flush, 5);
});
ready(name);
process.on('SIGTERM', () => {
  closing = true;
  void connection.close().then(() => process.exit(0));
});
