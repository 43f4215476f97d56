// bench/peers/rmq: one consumer draining a pre-filled RabbitMQ queue of order events, each
// validated with the same zod schema and acked, prefetch 100 for all: raw amqplib, Tandem,
// NestJS microservices (RMQ transport, @EventPattern) and Moleculer (AMQP transporter); and
// amqplib acking with `multiple` (the floor for batched acks, which Tandem does).
// The consumer runs in its own process pinned to core 0 (the driver fills the queue from
// core 1 first); timed from its first event handled to the last. Rounds rotate the order.
//
// `tandem structured` (only with --only naming it): Tandem on events written in CloudEvents
// structured mode, e.g. --only 'tandem,tandem structured'. `moleculer persistent` (the same):
// Moleculer on persistent messages, where its transporter's default sends transient ones.
//
//   node bench/peers/rmq.mjs [--rounds 3] [--events 20000] [--only tandem,nestjs] [--json out.json]
//   RabbitMQ at BENCH_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672)
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { pinSelf, startServer } from '../lib/server-process.mjs';
import { brokerCpuMicros } from '../lib/broker-cpu.mjs';
import { peakRssBytes } from '../lib/peak-rss.mjs';
import { fixed, median, table } from '../lib/stats.mjs';
import { rmqFillers } from './rmq-fill.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    events: { type: 'string', default: '20000' },
    json: { type: 'string' },
    only: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const events = Number(values.events);
const url = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `bench-${randomBytes(3).toString('hex')}`;

const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const targets = [
  { name: 'amqplib', role: 'raw', fill: 'raw', script: script('./consumers/rmq-raw.mjs') },
  { name: 'amqplib multiple-ack', role: 'floor', fill: 'raw', script: script('./consumers/rmq-raw-multi.mjs') },
  { name: 'tandem', role: 'tandem', fill: 'tandem', script: script('./consumers/rmq-tandem.mjs') },
  // The same consumer on events Tandem wrote with contentMode 'structured' (one JSON body); only when named in --only.
  {
    name: 'tandem structured',
    role: 'variant',
    optIn: true,
    fill: 'tandem-structured',
    script: script('./consumers/rmq-tandem.mjs'),
  },
  { name: 'nestjs', role: 'peer', fill: 'nest', script: script('./consumers/rmq-nest.mjs') },
  // Moleculer on persistent messages (its transporter sends transient ones by default); only when named in --only.
  {
    name: 'moleculer persistent',
    role: 'variant',
    optIn: true,
    fill: 'moleculer-persistent',
    script: script('./consumers/rmq-moleculer.mjs'),
  },
  { name: 'moleculer', role: 'peer', fill: 'moleculer', script: script('./consumers/rmq-moleculer.mjs') },
]
  .filter((t) =>
    values.only ? t.role === 'raw' || t.role === 'floor' || values.only.split(',').includes(t.name) : !t.optIn,
  )
  .map((t) => ({ ...t, queue: `${run}-${t.fill}` }));

pinSelf(1);
const connection = await connect(url);
const fillers = rmqFillers(connection, url);
const env = (t) => ({ NODE_ENV: 'production', BENCH_EVENTS: String(events), BENCH_NAME: t.queue, BENCH_AMQP_URL: url });

async function measure(target, firstTime) {
  // The first start declares the framework's own queues and bindings, so the fill lands.
  if (firstTime) await (await startServer(target.script, { cpu: 0, env: env(target) })).stop();
  await fillers[target.fill](target.queue, events);
  // From before the consumer's start (it consumes before it says it listens) to its last
  // event: its connecting costs the broker little beside a drain.
  const brokerBefore = brokerCpuMicros();
  const consumer = await startServer(target.script, { cpu: 0, env: env(target) });
  try {
    const [, ms, cpu] = await consumer.nextLine(/^drained (\S+) (\d+)/);
    const broker = brokerBefore === undefined ? NaN : (brokerCpuMicros() - brokerBefore) / events;
    return { rate: (events / Number(ms)) * 1000, cpu: Number(cpu) / events, broker, rss: peakRssBytes(consumer.pid) };
  } finally {
    await consumer.stop();
  }
}

const runs = new Map(targets.map((t) => [t.name, []]));
for (let round = 0; round < rounds; round++) {
  const order = targets.map((_, i) => targets[(i + round) % targets.length]);
  for (const target of order) {
    const r = await measure(target, round === 0);
    runs.get(target.name).push(r);
    console.log(
      `round ${round + 1} ${target.name.padEnd(20)} ${fixed(r.rate)} events/s  ${fixed(r.cpu, 1)} µs CPU/event  ` +
        `broker ${fixed(r.broker, 1)} µs/event  peak RSS ${fixed(r.rss / 2 ** 20)} MiB`,
    );
  }
}

const summary = targets.map((t) => {
  const rs = runs.get(t.name);
  const pick = (key) => median(rs.map((r) => r[key]));
  return { name: t.name, role: t.role, rate: pick('rate'), cpu: pick('cpu'), broker: pick('broker'), rss: pick('rss') };
});
console.log(`\nmedians of ${rounds} rounds, ${events} events each, prefetch 100, Node ${process.version}`);
console.log(
  table([
    ['consumer', 'events/s', 'µs CPU/event', 'broker µs/event', 'peak RSS MiB', 'rate ÷ amqplib', 'CPU ÷ amqplib'],
    ...summary.map((s) => [
      s.name,
      fixed(s.rate),
      fixed(s.cpu, 1),
      fixed(s.broker, 1),
      fixed(s.rss / 2 ** 20),
      fixed(s.rate / summary[0].rate, 3),
      fixed(s.cpu / summary[0].cpu, 3),
    ]),
  ]),
);

const channel = await connection.createChannel();
const leftovers = [
  `${run}-raw`,
  `${run}-nest`,
  `${run}-tandem.group.orders`,
  `${run}-tandem.dlq.orders`,
  `${run}-tandem-structured.group.orders`,
  `${run}-tandem-structured.dlq.orders`,
  `MOL-${run}-moleculer.EVENTB.orders.orders.placed`,
  `MOL-${run}-moleculer-persistent.EVENTB.orders.orders.placed`,
];
for (const queue of leftovers) await channel.deleteQueue(queue).catch(() => undefined);
await connection.close().catch(() => undefined);

if (values.json) {
  const result = {
    bench: 'rabbitmq-consume',
    title: 'RabbitMQ consume (drain, zod-validated, acked)',
    unit: 'events/s',
    settings: { rounds, events, prefetch: 100 },
    rows: summary.map((s) => ({
      name: s.name,
      role: s.role,
      rate: s.rate,
      cpuMicros: s.cpu,
      ...(Number.isFinite(s.broker) ? { brokerCpuMicros: s.broker } : {}),
      peakRss: s.rss,
    })),
  };
  writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
}
