// bench/peers/kafka: one consumer reading a filled 6-partition topic from the beginning,
// each record validated with the same zod schema: raw kafkajs (eachBatch with resolveOffset
// per record and a heartbeat per batch; and eachMessage), Tandem (Kafka transport) and NestJS
// microservices (Kafka transport, @EventPattern), against the librdkafka mock cluster. The
// consumer runs pinned to core 0; timed from its first record to the last (group join left
// out), with its own CPU time over the same span. Rounds rotate the order; each start is a
// new group. Ratios are to kafkajs eachBatch (issue #23: Tandem's CPU per event <= 1.5x,
// events/s >= 0.7x). Instructions per event: kafka-instructions.mjs.
//
// `tandem structured` and `kafkajs on Tandem structured records` (only with --only naming them):
// the same on records written in CloudEvents structured mode.
//
//   node bench/peers/kafka.mjs [--rounds 3] [--events 30000] [--only tandem,nestjs] [--json out.json]
//     [--baseline <dir>]
//
// `--baseline` adds a consumer 'tandem baseline': the same Tandem app on another build of the
// transport (a copy of packages/transport-kafka/dist), so old and new code run in one run.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startMockKafka } from '../../packages/transport-kafka/dev-broker/launch.mjs';
import { fillKafka } from './kafka-fill.mjs';
import { pinSelf, startServer } from '../lib/server-process.mjs';
import { peakRssBytes } from '../lib/peak-rss.mjs';
import { fixed, median, table } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    events: { type: 'string', default: '30000' },
    json: { type: 'string' },
    only: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const events = Number(values.events);

const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const targets = [
  { name: 'kafkajs', role: 'raw', script: script('./consumers/kafka-raw.mjs') },
  { name: 'kafkajs eachMessage', role: 'raw', script: script('./consumers/kafka-raw-each.mjs') },
  // eachBatch again, on the records Tandem writes (CloudEvents headers): what the wire format costs kafkajs.
  { name: 'kafkajs on Tandem records', role: 'raw', wire: 'tandem', script: script('./consumers/kafka-raw.mjs') },
  { name: 'tandem', role: 'tandem', wire: 'tandem', script: script('./consumers/kafka-tandem.mjs') },
  // The same two on records Tandem wrote with contentMode 'structured'; only when named in --only.
  {
    name: 'kafkajs on Tandem structured records',
    role: 'variant',
    optIn: true,
    wire: 'tandem-structured',
    env: { BENCH_STRUCTURED: '1' },
    script: script('./consumers/kafka-raw.mjs'),
  },
  {
    name: 'tandem structured',
    role: 'variant',
    optIn: true,
    wire: 'tandem-structured',
    script: script('./consumers/kafka-tandem.mjs'),
  },
  { name: 'nestjs', role: 'peer', script: script('./consumers/kafka-nest.mjs') },
]
  .filter((t) => (values.only ? t.role === 'raw' || values.only.split(',').includes(t.name) : !t.optIn))
  .concat(values.baseline ? [baselineTarget(values.baseline)] : [])
  .map((t) => ({ ...t, topic: `bench.${t.name.replace(/\W/g, '-')}.${randomUUID().slice(0, 8)}` }));

/** The Tandem consumer on the transport built in `dir` (its dist folder or a copy of it). */
function baselineTarget(dir) {
  const transport = pathToFileURL(resolve(dir, 'index.js')).href;
  return {
    name: 'tandem baseline',
    role: 'tandem',
    wire: 'tandem',
    transport,
    script: script('./consumers/kafka-tandem.mjs'),
  };
}

pinSelf(1);
// Six partitions: the mock cluster keeps only about 17,000 records of this size per partition.
const cluster = await startMockKafka({ topics: targets.map((t) => `${t.topic}:6`) });
const brokers = cluster.bootstrap.split(',');

function fill(target) {
  const tandem = target.wire === 'tandem' || target.wire === 'tandem-structured';
  const contentMode = target.wire === 'tandem-structured' ? 'structured' : 'binary';
  return fillKafka({ brokers, topic: target.topic, events, tandem, contentMode });
}

async function measure(target) {
  const consumer = await startServer(target.script, {
    cpu: 0,
    env: {
      NODE_ENV: 'production',
      BENCH_EVENTS: String(events),
      BENCH_KAFKA_BROKERS: cluster.bootstrap,
      BENCH_TOPIC: target.topic,
      BENCH_GROUP: `bench-${randomUUID().slice(0, 8)}`,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...(target.transport ? { BENCH_TANDEM_KAFKA: target.transport } : {}),
      ...target.env,
    },
  });
  try {
    const [, ms, cpu] = await consumer.nextLine(/^drained (\S+) (\d+)/);
    return { rate: (events / Number(ms)) * 1000, cpu: Number(cpu) / events, rss: peakRssBytes(consumer.pid) };
  } finally {
    await consumer.stop();
  }
}

try {
  for (const target of targets) await fill(target);
  const runs = new Map(targets.map((t) => [t.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const target of targets.map((_, i) => targets[(i + round) % targets.length])) {
      const r = await measure(target);
      runs.get(target.name).push(r);
      console.log(
        `round ${round + 1} ${target.name.padEnd(25)} ${fixed(r.rate)} events/s  ${fixed(r.cpu, 1)} µs CPU/event  peak RSS ${fixed(r.rss / 2 ** 20)} MiB`,
      );
    }
  }
  const summary = targets.map((t) => {
    const rs = runs.get(t.name);
    const pick = (key) => median(rs.map((r) => r[key]));
    return { name: t.name, role: t.role, rate: pick('rate'), cpu: pick('cpu'), rss: pick('rss') };
  });
  console.log(
    `\nmedians of ${rounds} rounds, ${events} events each (6 partitions, librdkafka mock), Node ${process.version}`,
  );
  console.log(
    table([
      ['consumer', 'events/s', 'µs CPU/event', 'peak RSS MiB', 'events/s ÷ eachBatch', 'CPU ÷ eachBatch'],
      ...summary.map((s) => [
        s.name,
        fixed(s.rate),
        fixed(s.cpu, 1),
        fixed(s.rss / 2 ** 20),
        fixed(s.rate / summary[0].rate, 3),
        fixed(s.cpu / summary[0].cpu, 2),
      ]),
    ]),
  );
  if (values.json) {
    const result = {
      bench: 'kafka-consume',
      title: 'Kafka consume (from the beginning, zod-validated)',
      unit: 'events/s',
      settings: { rounds, events, partitions: 6 },
      rows: summary.map((s) => ({ name: s.name, role: s.role, rate: s.rate, cpuMicros: s.cpu, peakRss: s.rss })),
    };
    writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  }
} finally {
  await cluster.stop();
}
