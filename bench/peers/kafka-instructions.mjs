// Instructions per event of each Kafka consumer, counted by valgrind's callgrind: the
// consumer reads a filled topic of `--small` events from the beginning in a new group and
// exits once it has handled them all; a second run does the same with `--large` events. The
// difference of the two totals divided by the difference of the counts is the cost of one
// event, with start-up, the group join and JIT warm-up cancelled. Unlike CPU time this does
// not move with other work on the machine. Each count is the median of `--rounds` runs.
//
//   node bench/peers/kafka-instructions.mjs [--small 2000] [--large 8000] [--rounds 1]
//     [--only 'kafkajs eachBatch,tandem'] [--baseline <dir>]
//
// `--baseline` adds 'tandem baseline': the Tandem consumer on another build of the transport
// (a copy of packages/transport-kafka/dist), counted in the same run.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startMockKafka } from '../../packages/transport-kafka/dev-broker/launch.mjs';
import { callgrindTotal } from '../lib/callgrind.mjs';
import { fixed, median, table } from '../lib/stats.mjs';
import { fillKafka } from './kafka-fill.mjs';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '2000' },
    large: { type: 'string', default: '8000' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const small = Number(values.small);
const large = Number(values.large);
const rounds = Number(values.rounds);
const out = mkdtempSync(join(tmpdir(), 'tandem-callgrind-'));
const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const targets = [
  { name: 'kafkajs eachBatch', script: script('./consumers/kafka-raw.mjs') },
  { name: 'kafkajs eachMessage', script: script('./consumers/kafka-raw-each.mjs') },
  { name: 'kafkajs on Tandem records', tandem: true, script: script('./consumers/kafka-raw.mjs') },
  { name: 'tandem', tandem: true, script: script('./consumers/kafka-tandem.mjs') },
  // The same two on records Tandem wrote with contentMode 'structured' (one JSON value).
  {
    name: 'kafkajs on Tandem structured records',
    tandem: true,
    contentMode: 'structured',
    env: { BENCH_STRUCTURED: '1' },
    script: script('./consumers/kafka-raw.mjs'),
  },
  {
    name: 'tandem structured',
    tandem: true,
    contentMode: 'structured',
    script: script('./consumers/kafka-tandem.mjs'),
  },
  { name: 'nestjs', script: script('./consumers/kafka-nest.mjs') },
]
  .filter((t) => !values.only || values.only.split(',').includes(t.name))
  .concat(
    values.baseline
      ? [
          {
            name: 'tandem baseline',
            tandem: true,
            transport: pathToFileURL(resolve(values.baseline, 'index.js')).href,
            script: script('./consumers/kafka-tandem.mjs'),
          },
        ]
      : [],
  );

const topicOf = (target, events) => `ir.${target.name.replace(/\W/g, '-')}.${events}`;
const cluster = await startMockKafka({
  topics: targets.flatMap((t) => [small, large].map((events) => `${topicOf(t, events)}:6`)),
});
const brokers = cluster.bootstrap.split(',');

/** Runs the consumer under callgrind until it handled the topic's `events`; its total instruction count. */
function counted(target, events, file) {
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    BENCH_EVENTS: String(events),
    BENCH_KAFKA_BROKERS: cluster.bootstrap,
    BENCH_TOPIC: topicOf(target, events),
    BENCH_GROUP: `ir-${randomUUID().slice(0, 8)}`,
    BENCH_EXIT_WHEN_DRAINED: '1',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...(target.transport ? { BENCH_TANDEM_KAFKA: target.transport } : {}),
    ...target.env,
  };
  return callgrindTotal({ name: target.name, script: target.script, env, file });
}

try {
  for (const target of targets)
    for (const events of [small, large])
      await fillKafka({
        brokers,
        topic: topicOf(target, events),
        events,
        tandem: target.tandem,
        contentMode: target.contentMode,
      });
  const rows = [];
  for (const target of targets) {
    const perEvent = [];
    for (let round = 0; round < rounds; round++) {
      const totals = [];
      for (const events of [small, large]) {
        const file = join(out, `${target.name.replace(/\W/g, '-')}-${events}-${round}.out`);
        totals.push(await counted(target, events, file));
      }
      perEvent.push((totals[1] - totals[0]) / (large - small));
      console.log(
        `${target.name}: ${fixed(perEvent.at(-1))} instructions/event (${totals.join(' / ')} for ${small} / ${large})`,
      );
    }
    rows.push({ name: target.name, perEvent: median(perEvent) });
  }
  const base = rows.find((r) => r.name === 'kafkajs eachBatch')?.perEvent ?? NaN;
  console.log(
    `\ninstructions per event (callgrind, ${large} - ${small} events, median of ${rounds}), Node ${process.version}`,
  );
  console.log(
    table([
      ['consumer', 'instructions/event', '÷ eachBatch'],
      ...rows.map((r) => [r.name, fixed(r.perEvent), fixed(r.perEvent / base, 2)]),
    ]),
  );
} finally {
  await cluster.stop();
}
