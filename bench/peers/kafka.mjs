// bench/peers/kafka: one consumer reading a filled 6-partition topic from the beginning,
// each record validated with the same zod schema: raw kafkajs (eachBatch), Tandem (Kafka
// transport) and NestJS microservices (Kafka transport, @EventPattern), against the
// librdkafka mock cluster. The consumer runs pinned to core 0; timed from its first record
// to the last (group join left out). Rounds rotate the order; each start is a new group.
//
//   node bench/peers/kafka.mjs [--rounds 3] [--events 30000] [--only tandem,nestjs] [--json out.json]
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { defineEvent, encodeEvent, silentLogger } from '@tandem/core';
import { KafkaTransport } from '@tandem/transport-kafka';
import { startMockKafka } from '../../packages/transport-kafka/dev-broker/launch.mjs';
import { body, PlaceOrder } from '../http-overhead/payload.mjs';
import { pinSelf, startServer } from '../lib/server-process.mjs';
import { peakRssBytes } from '../lib/peak-rss.mjs';
import { fixed, median, table } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    events: { type: 'string', default: '30000' },
    json: { type: 'string' },
    only: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const events = Number(values.events);
const BATCH = 1000;
const order = JSON.parse(body);

const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const targets = [
  { name: 'kafkajs', role: 'raw', script: script('./consumers/kafka-raw.mjs') },
  { name: 'tandem', role: 'tandem', script: script('./consumers/kafka-tandem.mjs') },
  { name: 'nestjs', role: 'peer', script: script('./consumers/kafka-nest.mjs') },
]
  .filter((t) => !values.only || t.role === 'raw' || values.only.split(',').includes(t.name))
  .map((t) => ({ ...t, topic: `bench.${t.name}.${randomUUID().slice(0, 8)}` }));

pinSelf(1);
// Six partitions: the mock cluster keeps only about 17,000 records of this size per partition.
const cluster = await startMockKafka({ topics: targets.map((t) => `${t.topic}:6`) });
const brokers = cluster.bootstrap.split(',');

async function fill(target) {
  if (target.role === 'tandem') {
    const OrderPlaced = defineEvent('orders.placed', { data: PlaceOrder, topic: target.topic });
    const transport = new KafkaTransport({
      brokers,
      clientId: 'bench-fill',
      createTopics: false,
      idempotent: false,
      logger: silentLogger,
    });
    await transport.connect();
    for (let sent = 0; sent < events; sent += BATCH) {
      const size = Math.min(BATCH, events - sent);
      await transport.publish(
        Array.from({ length: size }, (_, i) =>
          encodeEvent(OrderPlaced, order, { source: 'bench', key: `k${(sent + i) % 64}` }),
        ),
      );
    }
    await transport.close();
    return;
  }
  const producer = new Kafka({ brokers, clientId: 'bench-fill', logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const value = JSON.stringify(order);
  for (let sent = 0; sent < events; sent += BATCH) {
    const size = Math.min(BATCH, events - sent);
    await producer.send({
      topic: target.topic,
      messages: Array.from({ length: size }, (_, i) => ({ key: `k${(sent + i) % 64}`, value })),
    });
  }
  await producer.disconnect();
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
        `round ${round + 1} ${target.name.padEnd(8)} ${fixed(r.rate)} events/s  ${fixed(r.cpu, 1)} µs CPU/event  peak RSS ${fixed(r.rss / 2 ** 20)} MiB`,
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
      ['consumer', 'events/s', 'µs CPU/event', 'peak RSS MiB', 'ratio to kafkajs'],
      ...summary.map((s) => [
        s.name,
        fixed(s.rate),
        fixed(s.cpu, 1),
        fixed(s.rss / 2 ** 20),
        fixed(s.rate / summary[0].rate, 3),
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
