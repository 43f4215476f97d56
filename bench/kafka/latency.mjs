// publish -> handle latency on Kafka at a steady rate, publisher and consumer in two
// processes (consumer pinned to core 0, publisher to core 1): raw kafkajs (producer.send ->
// eachMessage, offsets committed every 100 ms) against Tandem's `app.publish` -> `onEvent`, both validating
// the same zod schema, both consumers fetching with the same maxWaitTimeMs. Each round starts
// fresh processes of both sides, in alternating order, on fresh 4-partition topics and groups;
// the first BENCH_WARM messages of a round are not measured (JIT warm-up). Medians of rounds.
// Against librdkafka's mock cluster (started here), not a real Kafka: the mock answers a
// fetch that found no data only after its full maxWaitTimeMs, even when a record arrives
// meanwhile (Kafka answers at once), so a record published while a consumer's fetch waits
// is handled up to maxWaitTimeMs late on both sides. `--max-wait-ms` (default 200, Tandem's
// default) sets it for both consumers; the raw row is the floor the mock and kafkajs set.
// The mock also returns at most one record batch per partition per fetch, so a consumer
// needs a fetch per produce request: both publishers batch for `--linger-ms` (default 10;
// Tandem's default is 2) with one request in flight, which a consumer can keep up with.
// Tandem's consumer also reads its group's five retry topics (`--retry-partitions` each, default
// 4 as the mock makes them): every fetch brings an empty batch for each of those partitions.
//
//   node bench/kafka/latency.mjs [--rounds 3] [--rate 2000] [--warm-seconds 3] [--seconds 5] [--max-wait-ms 200]
//     [--linger-ms 10] [--retry-partitions 4] [--json out.json]
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startMockKafka } from '../../packages/transport-kafka/dev-broker/launch.mjs';
import { pinSelf, startServer } from '../lib/server-process.mjs';
import { fixed, median, table } from '../lib/stats.mjs';
import { topic } from '../rabbitmq/latency-event.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '2000' },
    'warm-seconds': { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    'max-wait-ms': { type: 'string', default: '200' },
    'linger-ms': { type: 'string', default: '10' },
    'retry-partitions': { type: 'string', default: '4' },
    json: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const rate = Number(values.rate);
const warm = Math.round(rate * Number(values['warm-seconds']));
const measured = Math.round(rate * Number(values.seconds));
const run = `bench-latency-${randomBytes(3).toString('hex')}`;
const script = (path) => fileURLToPath(new URL(path, import.meta.url));
/** The transport's default retry levels, as its topic names spell them (names.ts). */
const RETRY_LEVELS = ['1s', '10s', '1m', '10m', '1h'];

pinSelf(1);
const cluster = await startMockKafka({ topics: [] });

async function measure(side, round) {
  // A fresh topic and group per start: each reads only its own round's messages.
  const names = `${run}.r${round}.${side}`;
  const kafkaTopic = `${names}.raw`;
  const prefix = `${names}.`;
  const group = `${names}.group`;
  if (side === 'raw') await cluster.createTopic(`${kafkaTopic}:4`);
  else
    // The group's retry and dead-letter topics too: made by metadata requests, they could change the assignment mid-run.
    for (const name of [topic, ...RETRY_LEVELS.map((level) => `${group}.retry.${level}`), `${group}.dlq`])
      await cluster.createTopic(`${prefix}${name}:${name === topic ? 4 : values['retry-partitions']}`);
  const env = {
    NODE_ENV: 'production',
    BENCH_SIDE: side,
    BENCH_KAFKA_BROKERS: cluster.bootstrap,
    BENCH_KAFKA_TOPIC: kafkaTopic,
    BENCH_KAFKA_PREFIX: prefix,
    BENCH_GROUP: group,
    BENCH_MAX_WAIT_MS: values['max-wait-ms'],
    BENCH_LINGER_MS: values['linger-ms'],
    BENCH_RATE: String(rate),
    BENCH_WARM: String(warm),
    BENCH_MEASURED: String(measured),
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
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

try {
  const sides = ['raw', 'tandem'];
  const runs = { raw: [], tandem: [] };
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const r = await measure(side, round);
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
    `\npublish -> handle at ${rate}/s, ${measured} measured after ${warm} warm-up messages, medians of ${rounds} rounds, librdkafka mock cluster, maxWaitTimeMs ${values['max-wait-ms']}, lingerMs ${values['linger-ms']}, ${values['retry-partitions']} partitions per retry topic, Node ${process.version}`,
  );
  console.log(
    table([
      ['side', 'p50 ms', 'p99 ms', 'max ms', 'consumer CPU µs/msg'],
      ['kafkajs', ...['p50', 'p99', 'max'].map((k) => fixed(summary.raw[k], 2)), fixed(summary.raw.cpu, 1)],
      ['tandem', ...['p50', 'p99', 'max'].map((k) => fixed(summary.tandem[k], 2)), fixed(summary.tandem.cpu, 1)],
      ['tandem ÷ kafkajs', ...['p50', 'p99', 'max', 'cpu'].map((k) => fixed(summary.tandem[k] / summary.raw[k], 2))],
    ]),
  );
  if (values.json)
    writeFileSync(values.json, `${JSON.stringify({ rate, warm, measured, rounds, runs, summary }, null, 2)}\n`);
} finally {
  await cluster.stop();
}
