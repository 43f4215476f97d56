// publish -> handle latency on RabbitMQ at a steady rate, publisher and consumer in two
// processes (consumer pinned to core 0, publisher to core 1): raw amqplib (noDelay, confirm
// channel, ack each) against Tandem's `app.publish` -> `onEvent` handler, both validating the
// same zod schema. Each round starts fresh processes of both sides, in alternating order;
// the first BENCH_WARM messages of a round are not measured (JIT warm-up). Medians of rounds.
//
//   node bench/rabbitmq/latency.mjs [--rounds 3] [--rate 2000] [--warm-seconds 3] [--seconds 5] [--json out.json]
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { startServer } from '../lib/server-process.mjs';
import { fixed, median, table } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '2000' },
    'warm-seconds': { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    json: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const rate = Number(values.rate);
const warm = Math.round(rate * Number(values['warm-seconds']));
const measured = Math.round(rate * Number(values.seconds));
const url = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `bench-latency-${randomBytes(3).toString('hex')}`;
const script = (path) => fileURLToPath(new URL(path, import.meta.url));

async function measure(side) {
  const env = {
    NODE_ENV: 'production',
    BENCH_SIDE: side,
    BENCH_NAME: run,
    BENCH_AMQP_URL: url,
    BENCH_RATE: String(rate),
    BENCH_WARM: String(warm),
    BENCH_MEASURED: String(measured),
  };
  const consumer = await startServer(script('./latency-consumer.mjs'), { cpu: 0, env });
  const result = consumer.nextLine(/^latency (\S+) (\S+) (\S+) (\S+)/);
  const publisher = await startServer(script('./latency-publisher.mjs'), { cpu: 1, env });
  try {
    const [, p50, p99, max, cpu] = await result;
    return { p50: Number(p50), p99: Number(p99), max: Number(max), cpu: Number(cpu) };
  } finally {
    await publisher.stop();
    await consumer.stop();
  }
}

const sides = ['raw', 'tandem'];
const runs = { raw: [], tandem: [] };
for (let round = 0; round < rounds; round++) {
  for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
    const r = await measure(side);
    runs[side].push(r);
    console.log(
      `round ${round + 1} ${side.padEnd(6)} p50 ${fixed(r.p50, 2)} ms  p99 ${fixed(r.p99, 2)} ms  max ${fixed(r.max, 1)} ms  ${fixed(r.cpu, 1)} µs CPU/msg (consumer)`,
    );
  }
}

const pick = (side, key) => median(runs[side].map((r) => r[key]));
const summary = Object.fromEntries(
  sides.map((side) => [
    side,
    { p50: pick(side, 'p50'), p99: pick(side, 'p99'), max: pick(side, 'max'), cpu: pick(side, 'cpu') },
  ]),
);
console.log(
  `\npublish -> handle at ${rate}/s, ${measured} measured after ${warm} warm-up messages, medians of ${rounds} rounds, Node ${process.version}`,
);
console.log(
  table([
    ['side', 'p50 ms', 'p99 ms', 'max ms', 'consumer CPU µs/msg'],
    ['amqplib (noDelay)', ...['p50', 'p99', 'max'].map((k) => fixed(summary.raw[k], 2)), fixed(summary.raw.cpu, 1)],
    ['tandem', ...['p50', 'p99', 'max'].map((k) => fixed(summary.tandem[k], 2)), fixed(summary.tandem.cpu, 1)],
    ['tandem ÷ amqplib', ...['p50', 'p99', 'max', 'cpu'].map((k) => fixed(summary.tandem[k] / summary.raw[k], 2))],
  ]),
);

const connection = await connect(url);
const channel = await connection.createChannel();
for (const queue of [`${run}.raw`, `${run}.group.orders`, `${run}.dlq.orders`])
  await channel.deleteQueue(queue).catch(() => undefined);
for (const exchange of [`${run}.raw-events`, `${run}.events`])
  await channel.deleteExchange(exchange).catch(() => undefined);
await connection.close().catch(() => undefined);

if (values.json)
  writeFileSync(values.json, `${JSON.stringify({ rate, warm, measured, rounds, runs, summary }, null, 2)}\n`);
