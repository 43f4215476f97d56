// What the console costs the event side while nobody watches (issue #22): the Tandem consumer
// of bench/peers, on RabbitMQ and on Kafka (librdkafka's mock cluster), with an idle HTTP server
// and nothing else ('http'), with the console's API and page mounted and turned on ('console'),
// and 'http' again ('http again': the same code, the control that shows the machine's noise).
// Each round runs the three in a rotated order, each draining the same pre-filled events pinned
// to core 0. The verdict, as the peer benches compare, is on medians over the rounds: the
// console's CPU per event against the mean of the two same-code medians, given only when those
// two lie within 3% of each other; the per-round ratios and their quartiles are printed beside.
//
//   node bench/console-overhead/broker.mjs [--brokers rabbitmq,kafka] [--rounds 10] [--events 20000]
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { startMockKafka } from '../../packages/transport-kafka/dev-broker/launch.mjs';
import { fillKafka } from '../peers/kafka-fill.mjs';
import { rmqFillers } from '../peers/rmq-fill.mjs';
import { pinSelf, startServer } from '../lib/server-process.mjs';
import { fixed, median, percentile, table } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: 'rabbitmq,kafka' },
    rounds: { type: 'string', default: '10' },
    events: { type: 'string', default: '20000' },
  },
});
const rounds = Number(values.rounds);
const events = Number(values.events);
const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const variants = [
  { name: 'http', mode: 'plain' },
  { name: 'console', mode: 'console' },
  { name: 'http again', mode: 'plain' },
];

/** Checks the variant is what it says: the console's API answers on 'console' only. */
async function checkServes(url, variant) {
  const res = await fetch(`${url}/_tandem/api/`);
  await res.arrayBuffer();
  const expected = variant.mode === 'console' ? 200 : 404;
  if (res.status !== expected)
    throw new Error(`${variant.name}: GET /_tandem/api/ answered ${res.status}, expected ${expected}`);
}

async function drain(consumerScript, env, variant, firstTime) {
  const consumer = await startServer(consumerScript, {
    cpu: 0,
    env: { NODE_ENV: 'production', BENCH_EVENTS: String(events), BENCH_HTTP: variant.mode, ...env },
  });
  try {
    if (firstTime) await checkServes(consumer.url, variant);
    const [, ms, cpu] = await consumer.nextLine(/^drained (\S+) (\d+)/);
    return { rate: (events / Number(ms)) * 1000, cpu: Number(cpu) / events };
  } finally {
    await consumer.stop();
  }
}

/** RabbitMQ: each variant its own queues, filled before each drain. */
async function rabbitmq() {
  const url = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const run = `bench-console-${randomBytes(3).toString('hex')}`;
  const connection = await connect(url);
  const fill = rmqFillers(connection, url).tandem;
  const consumer = script('../peers/consumers/rmq-tandem.mjs');
  const names = new Map(variants.map((v) => [v, `${run}-${v.name.replace(/\W/g, '-')}`]));
  const env = (v) => ({ BENCH_NAME: names.get(v), BENCH_AMQP_URL: url });
  try {
    return await measureRounds(async (variant, firstTime) => {
      // The first start declares Tandem's queues and bindings, so the fill lands.
      if (firstTime)
        await (await startServer(consumer, { cpu: 0, env: { ...env(variant), BENCH_HTTP: variant.mode } })).stop();
      await fill(names.get(variant), events);
      return drain(consumer, env(variant), variant, firstTime);
    });
  } finally {
    const channel = await connection.createChannel();
    for (const name of names.values())
      for (const queue of [`${name}.group.orders`, `${name}.dlq.orders`])
        await channel.deleteQueue(queue).catch(() => {});
    await connection.close().catch(() => {});
  }
}

/** Kafka: one filled topic; each drain is a new group reading it from the beginning. */
async function kafka() {
  const topic = `bench.console.${randomUUID().slice(0, 8)}`;
  const cluster = await startMockKafka({ topics: [`${topic}:6`] });
  try {
    await fillKafka({ brokers: cluster.bootstrap.split(','), topic, events, tandem: true });
    const consumer = script('../peers/consumers/kafka-tandem.mjs');
    return await measureRounds((variant, firstTime) =>
      drain(
        consumer,
        {
          BENCH_KAFKA_BROKERS: cluster.bootstrap,
          BENCH_TOPIC: topic,
          BENCH_GROUP: `bench-${randomUUID().slice(0, 8)}`,
          KAFKAJS_NO_PARTITIONER_WARNING: '1',
        },
        variant,
        firstTime,
      ),
    );
  } finally {
    await cluster.stop();
  }
}

async function measureRounds(measure) {
  const runs = new Map(variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants.map((_, i) => variants[(i + round) % variants.length])) {
      const r = await measure(variant, round === 0);
      runs.get(variant).push(r);
      console.log(
        `  round ${round + 1} ${variant.name.padEnd(10)} ${fixed(r.rate)} events/s  ${fixed(r.cpu, 2)} µs CPU/event`,
      );
    }
  }
  return runs;
}

const spread = (r) =>
  `${fixed(median(r), 3)} (quartiles ${fixed(percentile(r, 25), 3)}–${fixed(percentile(r, 75), 3)})`;

function report(broker, runs) {
  const [base, subject, again] = variants.map((v) => runs.get(v));
  const per = (side, key) => side.map((r, i) => r[key] / base[i][key]);
  const med = (side, key) => median(side.map((r) => r[key]));
  console.log(`\n${broker}: medians of ${rounds} rounds, ${events} events each, Node ${process.version}`);
  console.log(
    table([
      ['consumer', 'events/s', 'µs CPU/event'],
      ...variants.map((v) => [v.name, fixed(med(runs.get(v), 'rate')), fixed(med(runs.get(v), 'cpu'), 2)]),
    ]),
  );
  // Per round, against the mean of the round's two same-code runs: the spread of single rounds.
  const perRound = subject.map((r, i) => r.cpu / ((base[i].cpu + again[i].cpu) / 2));
  console.log(`per round, console ÷ mean of the two http runs, CPU per event: ${spread(perRound)}`);
  console.log(`per round, http again ÷ http: CPU ${spread(per(again, 'cpu'))}, events/s ${spread(per(again, 'rate'))}`);
  // The verdict, as the peer benches compare: medians over the rounds. The console's median
  // against the mean of the two same-code medians; how far those two medians lie apart is the
  // noise left after as many rounds, and a verdict counts only when that noise is under 3%.
  const baseline = (med(base, 'cpu') + med(again, 'cpu')) / 2;
  const ratio = med(subject, 'cpu') / baseline;
  const noise = Math.abs(med(again, 'cpu') / med(base, 'cpu') - 1);
  const cost = `console ${fixed((ratio - 1) * 100, 1)}% CPU per event against the same code without it`;
  console.log(`control: the two same-code medians lie ${fixed(noise * 100, 1)}% apart`);
  if (noise > 0.03)
    console.log(`verdict (${broker}): not settled: ${cost}, but the control moves by more than 3%; run more rounds`);
  else console.log(`verdict (${broker}): ${cost}: ${ratio <= 1.03 ? 'within 3%' : 'NOT within 3%'}`);
}

pinSelf(1);
const benches = { rabbitmq, kafka };
for (const broker of values.brokers.split(',')) {
  if (!benches[broker]) throw new Error(`--brokers: unknown '${broker}'; expected rabbitmq or kafka`);
  console.log(`${broker}:`);
  report(broker, await benches[broker]());
}
