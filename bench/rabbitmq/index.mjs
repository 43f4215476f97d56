// Tandem's RabbitMQ transport against raw amqplib, measured in one run on one broker:
//   consume: drain a pre-filled queue, same prefetch, manual ack of each message
//   publish: persistent messages on a confirm channel, batches awaited for their confirms
//   latency: publish -> handler at a steady rate, alternating rounds of Tandem and raw
// Several rounds, medians, ratio Tandem / raw. Needs the built package (npm run build) and
// RabbitMQ at BENCH_RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672).
//
//   node bench/rabbitmq/index.mjs    (env: ROUNDS=5 CONSUME_N=20000 PUBLISH_N=10000 RATE=2000 LATENCY_S=5 LATENCY_ROUNDS=3)
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { connect } from 'amqplib';
import { silentLogger } from '@tandem/core';
import { RabbitMQTransport } from '@tandem/transport-rabbitmq';
import { fixed, median, percentile, table } from '../lib/stats.mjs';
import { rawMessage, tandemMessage } from './messages.mjs';

const url = process.env.BENCH_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CONSUME_N = Number(process.env.CONSUME_N ?? 20_000);
const PUBLISH_N = Number(process.env.PUBLISH_N ?? 10_000);
const BATCH = Number(process.env.BATCH ?? 500);
const PREFETCH = Number(process.env.PREFETCH ?? 100);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const RATE = Number(process.env.RATE ?? 2_000);
const LATENCY_S = Number(process.env.LATENCY_S ?? 5);
const LATENCY_ROUNDS = Number(process.env.LATENCY_ROUNDS ?? 3);

const prefix = `bench-${randomBytes(3).toString('hex')}`;
const topic = 'bench.measured';
const rawQueue = `${prefix}.raw`;
const rawLatencyQueue = `${prefix}.raw-latency`;
const latencyTopic = 'bench.latency';

function cpuMicros(start) {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

async function rawConsume(channel, n) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let count = 0;
  let tag;
  await new Promise((resolve) => {
    channel
      .consume(rawQueue, (m) => {
        channel.ack(m);
        if (++count === n) resolve();
      })
      .then((ok) => (tag = ok.consumerTag));
  });
  const ms = performance.now() - started;
  await channel.cancel(tag);
  return { rate: (n / ms) * 1000, cpuPerMsg: cpuMicros(cpu) / n };
}

async function tandemConsume(transport, group, n) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let count = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const subscription = await transport.subscribe({ topics: [topic], group, concurrency: CONCURRENCY }, async () => {
    if (++count === n) done();
    return { kind: 'ack' };
  });
  await finished;
  const ms = performance.now() - started;
  const cpuPerMsg = cpuMicros(cpu) / n;
  await subscription.close();
  return { rate: (n / ms) * 1000, cpuPerMsg };
}

async function rawPublish(channel, n) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let sent = 0; sent < n; sent += BATCH) {
    const confirms = [];
    for (let i = 0; i < BATCH; i++) {
      const { content, options } = rawMessage(topic, { n: sent + i }, `k${i % 64}`);
      confirms.push(
        new Promise((resolve, reject) =>
          channel.publish(`${prefix}.events`, topic, content, options, (e) => (e ? reject(e) : resolve())),
        ),
      );
    }
    await Promise.all(confirms);
  }
  const ms = performance.now() - started;
  return { rate: (n / ms) * 1000, cpuPerMsg: cpuMicros(cpu) / n };
}

async function tandemPublish(transport, n) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let sent = 0; sent < n; sent += BATCH) {
    await transport.publish(
      Array.from({ length: BATCH }, (_, i) => tandemMessage(topic, { n: sent + i }, `k${i % 64}`)),
    );
  }
  const ms = performance.now() - started;
  return { rate: (n / ms) * 1000, cpuPerMsg: cpuMicros(cpu) / n };
}

/** Publishes at RATE for LATENCY_S seconds (in 5 ms ticks) and records publish -> handler times. */
async function latency(publishOne, subscribe) {
  const samples = [];
  const total = RATE * LATENCY_S;
  const stop = await subscribe((sentAt) => samples.push(performance.now() - sentAt));
  const perTick = Math.max(1, Math.round(RATE / 200));
  const started = performance.now();
  for (let sent = 0; sent < total;) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
    while (sent < due) publishOne(sent++ % 64, performance.now());
    await new Promise((resolve) => setTimeout(resolve, 1000 / (RATE / perTick)));
  }
  while (samples.length < total) await new Promise((resolve) => setTimeout(resolve, 20));
  await stop();
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), p999: percentile(samples, 99.9) };
}

async function main() {
  const raw = await connect(url, { noDelay: true });
  const rawChannel = await raw.createChannel();
  const rawConfirm = await raw.createConfirmChannel();
  const transport = new RabbitMQTransport({ url, prefix, prefetch: PREFETCH, logger: silentLogger });
  await transport.connect();
  const group = 'consume';
  // Declares the exchange and the Tandem group's queue; the raw queue is bound beside it.
  await (await transport.subscribe({ topics: [topic], group, concurrency: 1 }, async () => ({ kind: 'ack' }))).close();
  await rawChannel.assertQueue(rawQueue, { durable: true });
  await rawChannel.bindQueue(rawQueue, `${prefix}.events`, topic);
  await rawChannel.prefetch(PREFETCH);
  const groupQueue = transport.declared().queues.find((q) => q.includes('.group.'));

  const rows = {
    consumeRaw: [],
    consumeTandem: [],
    cpuRaw: [],
    cpuTandem: [],
    publishRaw: [],
    publishTandem: [],
    pcpuRaw: [],
    pcpuTandem: [],
  };
  for (let round = 0; round < ROUNDS; round++) {
    // Publish: alternate who goes first; both fill both queues, which the consume step drains.
    const order = round % 2 === 0 ? ['raw', 'tandem'] : ['tandem', 'raw'];
    for (const who of order) {
      const r = who === 'raw' ? await rawPublish(rawConfirm, PUBLISH_N) : await tandemPublish(transport, PUBLISH_N);
      rows[who === 'raw' ? 'publishRaw' : 'publishTandem'].push(r.rate);
      rows[who === 'raw' ? 'pcpuRaw' : 'pcpuTandem'].push(r.cpuPerMsg);
    }
    await rawChannel.purgeQueue(rawQueue);
    await rawChannel.purgeQueue(groupQueue);
    // Consume: one fill of CONSUME_N reaches both queues (same bytes), then each drains its own.
    await tandemPublishAll(transport, CONSUME_N);
    for (const who of order) {
      const r =
        who === 'raw' ? await rawConsume(rawChannel, CONSUME_N) : await tandemConsume(transport, group, CONSUME_N);
      rows[who === 'raw' ? 'consumeRaw' : 'consumeTandem'].push(r.rate);
      rows[who === 'raw' ? 'cpuRaw' : 'cpuTandem'].push(r.cpuPerMsg);
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }

  // Latency: its own topic; the side not measuring has its queue unbound, so every round
  // routes each message to exactly one queue. Rounds alternate; medians of their percentiles.
  await rawChannel.unbindQueue(rawQueue, `${prefix}.events`, topic);
  await rawChannel.assertQueue(rawLatencyQueue, { durable: true });
  let tandemLatencyQueue;
  const latencyRows = { raw: [], tandem: [] };
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    for (const who of round % 2 === 0 ? ['tandem', 'raw'] : ['raw', 'tandem']) {
      if (who === 'tandem') {
        if (tandemLatencyQueue) await rawChannel.bindQueue(tandemLatencyQueue, `${prefix}.events`, latencyTopic);
        latencyRows.tandem.push(
          await latency(
            (k, sentAt) => void transport.publish([tandemMessage(latencyTopic, { sentAt }, `k${k}`)]),
            async (record) => {
              const s = await transport.subscribe(
                { topics: [latencyTopic], group: 'latency', concurrency: CONCURRENCY },
                async (m) => {
                  record(JSON.parse(Buffer.from(m.body).toString()).sentAt);
                  return { kind: 'ack' };
                },
              );
              await s.ready;
              tandemLatencyQueue ??= transport.declared().queues.find((q) => q.endsWith('.group.latency'));
              return () => s.close();
            },
          ),
        );
        await rawChannel.unbindQueue(tandemLatencyQueue, `${prefix}.events`, latencyTopic);
      } else {
        await rawChannel.bindQueue(rawLatencyQueue, `${prefix}.events`, latencyTopic);
        latencyRows.raw.push(
          await latency(
            (k, sentAt) => {
              const { content, options } = rawMessage(latencyTopic, { sentAt }, `k${k}`);
              rawConfirm.publish(`${prefix}.events`, latencyTopic, content, options, () => undefined);
            },
            async (record) => {
              const { consumerTag } = await rawChannel.consume(rawLatencyQueue, (m) => {
                record(JSON.parse(m.content.toString()).sentAt);
                rawChannel.ack(m);
              });
              return () => rawChannel.cancel(consumerTag);
            },
          ),
        );
        await rawChannel.unbindQueue(rawLatencyQueue, `${prefix}.events`, latencyTopic);
      }
    }
    process.stderr.write(`latency round ${round + 1}/${LATENCY_ROUNDS} done\n`);
  }
  const pick = (rows, key) => median(rows.map((r) => r[key]));
  const rawLatency = {
    p50: pick(latencyRows.raw, 'p50'),
    p99: pick(latencyRows.raw, 'p99'),
    p999: pick(latencyRows.raw, 'p999'),
  };
  const tandemLatency = {
    p50: pick(latencyRows.tandem, 'p50'),
    p99: pick(latencyRows.tandem, 'p99'),
    p999: pick(latencyRows.tandem, 'p999'),
  };

  const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)]));
  // Other processes on the machine skew every figure here; say how busy it was.
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores (at the end)`,
  );
  console.log(
    `RabbitMQ bench: ${ROUNDS} rounds, medians; prefetch ${PREFETCH}, Tandem concurrency ${CONCURRENCY}, publish batches of ${BATCH} awaited for confirms`,
  );
  console.log(
    table([
      ['measure', 'raw amqplib', 'Tandem', 'Tandem / raw'],
      ['consume msg/s', fixed(m.consumeRaw), fixed(m.consumeTandem), fixed(m.consumeTandem / m.consumeRaw, 2)],
      ['consume CPU µs/msg', fixed(m.cpuRaw, 1), fixed(m.cpuTandem, 1), fixed(m.cpuRaw / m.cpuTandem, 2)],
      [
        'publish msg/s (confirms)',
        fixed(m.publishRaw),
        fixed(m.publishTandem),
        fixed(m.publishTandem / m.publishRaw, 2),
      ],
      ['publish CPU µs/msg', fixed(m.pcpuRaw, 1), fixed(m.pcpuTandem, 1), fixed(m.pcpuRaw / m.pcpuTandem, 2)],
      [`latency p50 ms @${RATE}/s`, fixed(rawLatency.p50, 2), fixed(tandemLatency.p50, 2), ''],
      [`latency p99 ms @${RATE}/s`, fixed(rawLatency.p99, 2), fixed(tandemLatency.p99, 2), ''],
      [`latency p99.9 ms @${RATE}/s`, fixed(rawLatency.p999, 2), fixed(tandemLatency.p999, 2), ''],
    ]),
  );
  console.log(`per round: ${JSON.stringify({ ...rows, latency: latencyRows })}`);

  await transport.close();
  for (const q of [...transport.declared().queues, rawQueue, rawLatencyQueue]) await rawChannel.deleteQueue(q);
  await rawChannel.deleteExchange(`${prefix}.events`);
  await raw.close();
}

async function tandemPublishAll(transport, n) {
  for (let sent = 0; sent < n; sent += BATCH) {
    await transport.publish(
      Array.from({ length: BATCH }, (_, i) => tandemMessage(topic, { n: sent + i }, `k${i % 64}`)),
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
