// What in a message sets RabbitMQ's cost of delivering it. bench/peers/rmq.mjs drains each
// framework's own messages, and the broker's CPU per event differs between them by more
// than the consumers' own; this drains queues that differ in one property at a time
// (headers, message id, persistence, size), all with one raw amqplib consumer, and reads
// the broker's CPU (beam.smp's utime + stime from /proc) beside the drain rate. It also
// reads where the queue held its messages before the drain (`rabbitmqctl list_queues`
// messages_ram), since a classic queue that paged its messages out reads them back from
// disk while it delivers.
//
//   node bench/peers/rmq-modes.mjs [--events 20000] [--rounds 3] [--only plain,tandem] [--queue-args '{"x-queue-version":2}']
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { body as orderJson } from '../http-overhead/payload.mjs';
import { brokerCpuMicros } from '../lib/broker-cpu.mjs';
import { fixed, median, table } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    'queue-args': { type: 'string', default: '{}' },
  },
});
const events = Number(values.events);
const rounds = Number(values.rounds);
const queueArgs = JSON.parse(values['queue-args']);
const url = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `bench-modes-${randomBytes(3).toString('hex')}`;
const body = Buffer.from(orderJson);
/** Tandem's CloudEvents binary-mode properties (codec.ts), fresh id and time per message. */
function cloudEventHeaders(i, { subject = true } = {}) {
  const headers = {
    cloudEvents_specversion: '1.0',
    cloudEvents_id: randomUUID(),
    cloudEvents_source: 'bench',
    cloudEvents_type: 'orders.placed',
    cloudEvents_time: new Date().toISOString(),
    cloudEvents_dataschema: 'urn:tandem:event:orders.placed:v1',
    cloudEvents_partitionkey: `k${i % 64}`,
  };
  if (subject) headers.cloudEvents_subject = `k${i % 64}`;
  return headers;
}
const variants = [
  { name: 'plain', options: () => ({ persistent: true, contentType: 'application/json' }) },
  { name: 'transient', options: () => ({ persistent: false, contentType: 'application/json' }) },
  {
    name: 'message id',
    options: () => ({ persistent: true, contentType: 'application/json', messageId: randomUUID() }),
  },
  {
    name: 'one header',
    options: (i) => ({ persistent: true, contentType: 'application/json', headers: { k: `k${i % 64}` } }),
  },
  {
    name: 'ce headers',
    options: (i) => ({ persistent: true, contentType: 'application/json', headers: cloudEventHeaders(i) }),
  },
  {
    name: 'tandem',
    options: (i) => {
      const headers = cloudEventHeaders(i);
      return { persistent: true, contentType: 'application/json', headers, messageId: headers.cloudEvents_id };
    },
  },
  {
    name: 'tandem trimmed',
    options: (i) => ({
      persistent: true,
      contentType: 'application/json',
      headers: cloudEventHeaders(i, { subject: false }),
    }),
  },
  ...[2, 4, 5, 6, 7, 8].map((n) => ({
    name: `${n} short headers`,
    options: () => ({
      persistent: true,
      contentType: 'application/json',
      headers: Object.fromEntries(Array.from({ length: n }, (_, h) => [`h${h}`, 'v'])),
    }),
  })),
  {
    name: 'one 300 B header',
    options: () => ({ persistent: true, contentType: 'application/json', headers: { h: 'v'.repeat(300) } }),
  },
  {
    name: 'plain +300 B',
    body: Buffer.concat([body, Buffer.alloc(300, 32)]),
    options: () => ({ persistent: true, contentType: 'application/json' }),
  },
].filter((v) => !values.only || values.only.split(',').includes(v.name));

function ramShare(queue) {
  const line = execFileSync('rabbitmqctl', ['-q', 'list_queues', 'name', 'messages', 'messages_ram'])
    .toString()
    .split('\n')
    .find((l) => l.startsWith(`${queue}\t`));
  const [, total, ram] = (line ?? '').split('\t').map(Number);
  return total ? ram / total : NaN;
}

if (brokerCpuMicros() === undefined)
  throw new Error(
    "bench/peers/rmq-modes.mjs reads the broker's CPU from /proc: it needs RabbitMQ (beam.smp) on this machine",
  );
const connection = await connect(url);
const confirm = await connection.createConfirmChannel();

async function fill(queue, variant) {
  await confirm.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic', ...queueArgs } });
  const content = variant.body ?? body;
  for (let sent = 0; sent < events; sent += 500) {
    for (let i = sent; i < Math.min(events, sent + 500); i++) confirm.sendToQueue(queue, content, variant.options(i));
    await confirm.waitForConfirms();
  }
}

/** One amqplib consumer, prefetch 100, a `multiple` ack every 50: as consumers/rmq-raw-multi.mjs. */
async function drain(queue) {
  const channel = await connection.createChannel();
  await channel.prefetch(100);
  const brokerBefore = brokerCpuMicros();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => {
    let seen = 0;
    channel.consume(queue, (message) => {
      JSON.parse(message.content.toString());
      seen += 1;
      if (seen % 50 === 0 || seen === events) channel.ack(message, true);
      if (seen === events) resolve();
    });
  });
  const seconds = (performance.now() - started) / 1000;
  const own = process.cpuUsage(cpu);
  const brokerUs = brokerCpuMicros() - brokerBefore;
  await channel.close();
  return { rate: events / seconds, brokerUs: brokerUs / events, clientUs: (own.user + own.system) / events };
}

const results = new Map(variants.map((v) => [v.name, []]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const variant of order) {
    const queue = `${run}-${variant.name.replace(/\W+/g, '-')}-${round}`;
    await fill(queue, variant);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const inRam = ramShare(queue);
    const result = { ...(await drain(queue)), inRam };
    results.get(variant.name).push(result);
    await confirm.deleteQueue(queue);
    console.log(
      `round ${round + 1} ${variant.name}: ${fixed(result.rate)} events/s, broker ${fixed(result.brokerUs, 1)} µs/event, ` +
        `client ${fixed(result.clientUs, 1)} µs/event, ${fixed(inRam * 100)}% in RAM before the drain`,
    );
  }
}
console.log(
  `\nmedians of ${rounds} rounds, ${events} events per drain, RabbitMQ queue args ${JSON.stringify(queueArgs)}`,
);
console.log(
  table([
    ['message', 'events/s', 'broker µs/event', 'client µs/event', 'in RAM', 'rates per round'],
    ...variants.map(({ name }) => {
      const rs = results.get(name);
      return [
        name,
        fixed(median(rs.map((r) => r.rate))),
        fixed(median(rs.map((r) => r.brokerUs)), 1),
        fixed(median(rs.map((r) => r.clientUs)), 1),
        `${fixed(median(rs.map((r) => r.inRam)) * 100)}%`,
        rs.map((r) => fixed(r.rate)).join(' '),
      ];
    }),
  ]),
);
await connection.close();
