// What each RabbitMQ consumer puts on the wire while it drains a pre-filled queue: basic.ack
// frames per event (and how many of them carry `multiple`), socket writes and socket reads
// per event. The broker's work per ack frame is what paces a drain whose consumer waits on
// it; this counts the frames (lib/amqp-frame-count.mjs patches net.Socket, so these runs are
// not timed). Consumers are unpinned here: batching depends on timing, so read it beside a
// timed run, not as one.
//
//   node bench/peers/rmq-frames.mjs [--events 20000] [--only tandem,moleculer]
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { startServer } from '../lib/server-process.mjs';
import { fixed, table } from '../lib/stats.mjs';
import { rmqFillers } from './rmq-fill.mjs';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '20000' }, only: { type: 'string' } },
});
const events = Number(values.events);
const url = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `bench-frames-${randomBytes(3).toString('hex')}`;
const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const preload = new URL('../lib/amqp-frame-count.mjs', import.meta.url).href;
const targets = [
  { name: 'amqplib', fill: 'raw', script: script('./consumers/rmq-raw.mjs') },
  { name: 'amqplib multiple-ack', fill: 'raw', script: script('./consumers/rmq-raw-multi.mjs') },
  { name: 'tandem', fill: 'tandem', script: script('./consumers/rmq-tandem.mjs') },
  { name: 'moleculer', fill: 'moleculer', script: script('./consumers/rmq-moleculer.mjs') },
].filter((t) => !values.only || values.only.split(',').includes(t.name));

const connection = await connect(url);
const fillers = rmqFillers(connection, url);
const rows = [];
for (const target of targets) {
  const queue = `${run}-${target.fill}`;
  const env = {
    NODE_ENV: 'production',
    BENCH_EVENTS: String(events),
    BENCH_NAME: queue,
    BENCH_AMQP_URL: url,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`,
  };
  await (await startServer(target.script, { env })).stop();
  await fillers[target.fill](queue, events);
  const consumer = await startServer(target.script, { env });
  try {
    await consumer.nextLine(/^drained /);
    // The last batch's ack follows the last handler; give it a moment to be written.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const counted = consumer.nextLine(/^frames (.*)/);
    process.kill(consumer.pid, 'SIGUSR1');
    const counts = JSON.parse((await counted)[1]);
    rows.push({ name: target.name, ...counts });
    console.log(`${target.name}: ${JSON.stringify(counts)}`);
  } finally {
    await consumer.stop();
  }
}
console.log(`\nper event, ${events} events drained, prefetch 100`);
console.log(
  table([
    ['consumer', 'ack frames', 'multiple', 'events per ack frame', 'socket writes', 'socket reads'],
    ...rows.map((r) => [
      r.name,
      fixed(r.acks / events, 3),
      fixed(r.multipleAcks / events, 3),
      fixed(events / r.acks, 1),
      fixed(r.writes / events, 3),
      fixed(r.reads / events, 3),
    ]),
  ]),
);
const channel = await connection.createChannel();
for (const queue of [
  `${run}-raw`,
  `${run}-tandem.group.orders`,
  `${run}-tandem.dlq.orders`,
  `MOL-${run}-moleculer.EVENTB.orders.orders.placed`,
])
  await channel.deleteQueue(queue).catch(() => undefined);
await connection.close().catch(() => undefined);
