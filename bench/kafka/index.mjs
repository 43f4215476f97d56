// Kafka throughput: Tandem's Kafka transport against raw kafkajs, measured in the same run
// against the same broker (librdkafka's mock cluster, started here), several rounds,
// medians and the Tandem/raw ratio. Target: >= 0.9x raw.
//
//   npx tsc -b packages/transport-kafka/tsconfig.build.json && node bench/kafka/index.mjs
//   env: ROUNDS (default 5), MESSAGES (default 50000), BATCH (records per publish call, 100),
//        IN_FLIGHT (publish calls in flight, 8), CONCURRENCY (Tandem handlers, 16),
//        ONLY (produce or consume: run just that half)
//
// produce: the same CloudEvents-headed records, BATCH per call, IN_FLIGHT calls at once,
//          acks=all; raw = producer.send per call, Tandem = transport.publish per call.
// consume: a topic of MESSAGES records (6 partitions), read by a new group each round;
//          raw = eachBatch (auto-resolve, auto-commit), Tandem = subscribe with an ack
//          handler; timed from the first record handled to the last (the group join,
//          ~3 s on the mock cluster for every client, is left out).
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaTransport } from '@tandem/transport-kafka';
import { startMockKafka } from '../../packages/transport-kafka/dev-broker/launch.mjs';
import { fixed, median, table } from '../lib/stats.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MESSAGES = Number(process.env.MESSAGES ?? 50_000);
const BATCH = Number(process.env.BATCH ?? 100);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 8);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const ONLY = process.env.ONLY;
const halves = ['produce', 'consume'].filter((what) => !ONLY || what === ONLY);

const body = Buffer.from(
  JSON.stringify({ orderId: 'o-123456', amount: 42.5, currency: 'EUR', lines: [{ sku: 'sku-1', qty: 2 }] }),
);
const tandemHeaders = (n) => ({
  'ce-specversion': '1.0',
  'ce-id': randomUUID(),
  'ce-source': 'bench',
  'ce-type': 'orders.placed',
  'ce-time': new Date().toISOString(),
  'content-type': 'application/json',
  'ce-traceparent': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  'ce-subject': `order-${n}`,
});
// What Tandem puts on the wire for those headers (see src/codec.ts), so both send the same bytes.
const wireHeaders = (h) => {
  const out = {};
  for (const [k, v] of Object.entries(h)) out[k.startsWith('ce-') ? `ce_${k.slice(3)}` : k] = v;
  out.traceparent = h['ce-traceparent'];
  return out;
};

async function timed(fn) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: MESSAGES / seconds, cpuUsPerMsg: (used.user + used.system) / MESSAGES };
}

/** Calls `send(batchIndex)` for MESSAGES / batchSize batches, IN_FLIGHT at a time. */
async function pump(send, batchSize = BATCH) {
  const batches = Math.ceil(MESSAGES / batchSize);
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < batches) await send(next++);
    }),
  );
}

function makeBatches(topic, batchSize = BATCH) {
  return Array.from({ length: Math.ceil(MESSAGES / batchSize) }, (_, b) =>
    Array.from({ length: batchSize }, (_, i) => {
      const n = b * batchSize + i;
      return { topic, key: `order-${n % 1000}`, headers: tandemHeaders(n), body };
    }),
  );
}

// The raw side is kafkajs as a hand-written producer would use it: defaults (not idempotent,
// no cap on requests in flight), so its IN_FLIGHT calls are IN_FLIGHT produce requests on the
// wire at once. Tandem keeps one request in flight and merges the calls into it, because
// a retried request must not overtake a later one (per-key order); raw gives that up. Both
// start from the same prepared input: raw gets its records already in wire form, Tandem
// gets messages and pays for its own encoding inside the timed part, as an application would.
// So the ratio is a conservative one for Tandem; nothing here favours it.
async function produceRaw(kafka, topic, batchSize = BATCH) {
  const batches = makeBatches(topic, batchSize).map((batch) =>
    batch.map((m) => ({ key: m.key, value: m.body, headers: wireHeaders(m.headers) })),
  );
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    return await timed(() => pump((b) => producer.send({ topic, acks: -1, messages: batches[b] }), batchSize));
  } finally {
    await producer.disconnect();
  }
}

async function produceTandem(transportOptions, topic) {
  const batches = makeBatches(topic);
  const transport = new KafkaTransport(transportOptions());
  await transport.connect();
  try {
    return await timed(() => pump((b) => transport.publish(batches[b])));
  } finally {
    await transport.close();
  }
}

async function consumeRaw(kafka, topic) {
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let count = 0;
  let cpu;
  let start = 0;
  const done = new Promise((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        if (count === 0) {
          start = performance.now();
          cpu = process.cpuUsage();
        }
        count += batch.messages.length;
        if (count >= MESSAGES) resolve();
      },
    });
  });
  await done;
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  await consumer.disconnect();
  return { rate: MESSAGES / seconds, cpuUsPerMsg: (used.user + used.system) / MESSAGES };
}

async function consumeTandem(transportOptions, topic) {
  const transport = new KafkaTransport(transportOptions());
  await transport.connect();
  let count = 0;
  let cpu;
  let start = 0;
  let finish;
  const done = new Promise((resolve) => (finish = resolve));
  const subscription = await transport.subscribe(
    { topics: [topic], group: `bench-tandem-${randomUUID()}`, concurrency: CONCURRENCY },
    async () => {
      if (count === 0) {
        start = performance.now();
        cpu = process.cpuUsage();
      }
      if (++count >= MESSAGES) finish();
      return { kind: 'ack' };
    },
  );
  await subscription.ready;
  await done;
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  await transport.close();
  return { rate: MESSAGES / seconds, cpuUsPerMsg: (used.user + used.system) / MESSAGES };
}

async function main() {
  const consumeTopic = `bench.consume.${randomUUID().slice(0, 8)}`;
  // Six partitions: the mock cluster keeps only about 17,000 records of this size per partition.
  const broker = await startMockKafka({ topics: [`${consumeTopic}:6`] });
  const brokers = broker.bootstrap.split(',');
  const kafka = new Kafka({ brokers, clientId: 'bench-raw', logLevel: logLevel.NOTHING });
  // The mock cluster has no CreateTopics and no usable controller for kafkajs's idempotent producer.
  const transportOptions = () => ({ brokers, clientId: 'bench-tandem', createTopics: false, idempotent: false });
  console.log(
    `kafka bench: ${ROUNDS} rounds, ${MESSAGES} messages, publish ${BATCH}/call x ${IN_FLIGHT} in flight, Tandem concurrency ${CONCURRENCY}; broker ${broker.bootstrap} (librdkafka mock)`,
  );
  try {
    // Fill the consume topic once, in large record batches so fetches return many records;
    // each consume round reads it from the start with a new group.
    if (halves.includes('consume')) await produceRaw(kafka, consumeTopic, 1_000);
    const results = { 'produce raw': [], 'produce tandem': [], 'consume raw': [], 'consume tandem': [] };
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 ? ['raw', 'tandem'] : ['tandem', 'raw'];
      for (const who of halves.includes('produce') ? order : []) {
        const topic = `bench.produce.${who}.${round}.${randomUUID().slice(0, 8)}`;
        await broker.createTopic(`${topic}:3`);
        results[`produce ${who}`].push(
          who === 'raw' ? await produceRaw(kafka, topic) : await produceTandem(transportOptions, topic),
        );
      }
      for (const who of halves.includes('consume') ? order : []) {
        results[`consume ${who}`].push(
          who === 'raw' ? await consumeRaw(kafka, consumeTopic) : await consumeTandem(transportOptions, consumeTopic),
        );
      }
      const last = (k) => fixed(results[k].at(-1)?.rate);
      console.log(
        `round ${round}: produce raw ${last('produce raw')} / tandem ${last('produce tandem')} msg/s; consume raw ${last('consume raw')} / tandem ${last('consume tandem')} msg/s`,
      );
    }
    const med = (k, f) => median(results[k].map((r) => r[f]));
    const rows = [['', 'raw msg/s', 'tandem msg/s', 'ratio', 'raw cpu us/msg', 'tandem cpu us/msg']];
    for (const what of halves) {
      const raw = med(`${what} raw`, 'rate');
      const tandem = med(`${what} tandem`, 'rate');
      rows.push([
        what,
        fixed(raw),
        fixed(tandem),
        `${fixed(tandem / raw, 2)}x`,
        fixed(med(`${what} raw`, 'cpuUsPerMsg'), 1),
        fixed(med(`${what} tandem`, 'cpuUsPerMsg'), 1),
      ]);
    }
    console.log(`\nmedians of ${ROUNDS} rounds (target: ratio >= 0.90x)\n${table(rows)}`);
  } finally {
    await broker.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
