// npm run bench: builds the workspace, runs every bench script and the peer comparisons in
// one run, then writes docs/benchmarks.md and docs/benchmarks.svg from the same numbers.
//
//   npm run bench [-- --quick] [--only http,rmq,...] [--skip tracing,...] [--no-build] [--report-only]
//   With --only or --skip, the benches left out keep their figures from the last run
//   (bench/results/run.json, committed beside docs/benchmarks.md), marked with when they ran.
//   names: http, client-call, rmq, kafka (comparison table); http-overhead, rabbitmq,
//          rabbitmq-latency, kafka-latency, kafka-latency-short-wait, rmq-instructions, kafka-instructions (both need valgrind),
//          kafka-transport, outbox, tracing, tracing-instructions (needs valgrind) (transport scripts)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { barChart } from './report/chart.mjs';
import { environment } from './report/environment.mjs';
import { benchmarksMarkdown } from './report/markdown.mjs';
import { runScript, summaryOf } from './report/run-script.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    skip: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
  },
});
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const root = here('..');
const results = here('./results');
const q = values.quick;
const wanted = (name) =>
  (!values.only || values.only.split(',').includes(name)) && !(values.skip ?? '').split(',').includes(name);

const peers = [
  {
    name: 'http',
    script: 'peers/http.mjs',
    args: q ? ['--rounds', '3', '--seconds', '3'] : ['--rounds', '5', '--seconds', '5'],
    description:
      'POST /commands/orders.place, a JSON order of three items validated by one zod schema, answered with JSON; autocannon, 50 connections',
  },
  {
    name: 'client-call',
    script: 'client-call/index.mjs',
    args: q ? ['--rounds', '3', '--seconds', '3'] : ['--rounds', '5', '--seconds', '5'],
    description:
      "the calling side: 32 callers in a closed loop call orders.place on the bare node:http server (core 0); the caller process (core 1) is measured, so CPU µs/op and RSS are the client's",
  },
  {
    name: 'rmq',
    script: 'peers/rmq.mjs',
    args: q ? ['--rounds', '3', '--events', '10000'] : ['--rounds', '5', '--events', '20000'],
    description:
      'one consumer drains a pre-filled durable queue of the same order as an event, validates it with zod and acks it; prefetch 100; each framework in its own wire format and topology',
  },
  {
    name: 'kafka',
    script: 'peers/kafka.mjs',
    args: q ? ['--rounds', '3', '--events', '20000'] : ['--rounds', '5', '--events', '30000'],
    description:
      'one consumer in a new group reads a filled 6-partition topic of the order event from the beginning and validates each with zod; librdkafka mock cluster',
  },
];
const transportScripts = [
  {
    name: 'http-overhead',
    title: 'HTTP overhead: Tandem against node:http + zod',
    script: 'http-overhead/index.mjs',
    args: q ? ['--rounds', '12'] : [],
  },
  {
    name: 'rabbitmq',
    title: 'RabbitMQ transport against amqplib',
    script: 'rabbitmq/index.mjs',
    env: q ? { ROUNDS: '3', CONSUME_N: '10000', PUBLISH_N: '5000', LATENCY_S: '3', LATENCY_ROUNDS: '3' } : {},
  },
  {
    name: 'rabbitmq-latency',
    title: 'RabbitMQ publish -> handle latency, publisher and consumer in two processes',
    script: 'rabbitmq/latency.mjs',
    args: q ? ['--rounds', '3'] : ['--rounds', '5'],
  },
  {
    name: 'kafka-latency',
    title: 'Kafka publish -> handle latency, publisher and consumer in two processes (librdkafka mock cluster)',
    script: 'kafka/latency.mjs',
    args: q ? ['--rounds', '3'] : ['--rounds', '5'],
  },
  {
    // The mock answers a fetch that found nothing only when maxWaitTimeMs ends, even if a record
    // arrives meanwhile (a real broker answers at once), so at the default 200 ms the row above
    // measures the mock's wait. A short wait is the nearer model of a real broker's latency.
    name: 'kafka-latency-short-wait',
    title: 'Kafka publish -> handle latency at maxWaitTimeMs 20 (librdkafka mock cluster)',
    script: 'kafka/latency.mjs',
    args: q ? ['--rounds', '3', '--max-wait-ms', '20'] : ['--rounds', '5', '--max-wait-ms', '20'],
  },
  {
    name: 'rmq-instructions',
    title: 'RabbitMQ consume: instructions per event (callgrind)',
    script: 'peers/rmq-instructions.mjs',
    args: q ? ['--small', '2000', '--large', '8000'] : ['--small', '4000', '--large', '12000'],
  },
  {
    name: 'kafka-instructions',
    title: 'Kafka consume: instructions per event (callgrind)',
    script: 'peers/kafka-instructions.mjs',
    args: q ? ['--small', '2000', '--large', '8000'] : ['--small', '2000', '--large', '8000', '--rounds', '2'],
  },
  {
    name: 'kafka-transport',
    title: 'Kafka transport against kafkajs',
    script: 'kafka/index.mjs',
    env: q ? { ROUNDS: '3', MESSAGES: '20000' } : {},
  },
  {
    name: 'outbox',
    title: 'Outbox relay on PostgreSQL',
    script: 'outbox.mjs',
    args: q ? ['--rounds', '3', '--events', '10000', '--seconds', '3'] : [],
  },
  {
    name: 'tracing',
    title: 'Tracing on against off',
    script: 'tracing.mjs',
    args: q ? ['--rounds', '3', '--seconds', '3'] : [],
  },
  {
    name: 'tracing-instructions',
    title: 'Tracing on against off: instructions per request (callgrind)',
    script: 'tracing-instructions.mjs',
    args: q ? ['--small', '3000', '--large', '6000'] : [],
  },
];

/** Runs everything selected and returns the run's figures, without the soak, the saga bench and notes. */
async function measure() {
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  let buildNote = values['no-build'] ? 'not rebuilt (--no-build)' : 'built with tsc -b';
  if (!values['no-build']) {
    try {
      execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
    } catch {
      // A workspace package that does not compile should not lose the whole run; the report says so.
      buildNote = 'tsc -b FAILED: the packages ran from their last built dist/';
      process.stderr.write(`${buildNote}\n`);
    }
  }
  mkdirSync(results, { recursive: true });

  const groups = [];
  for (const peer of peers.filter((p) => wanted(p.name))) {
    const out = `${results}/${peer.name}.json`;
    const args = [...peer.args, '--json', out];
    process.stderr.write(`\n== bench/${peer.script} ${args.join(' ')}\n`);
    const { code } = await runScript(here(peer.script), args);
    if (code !== 0 || !existsSync(out)) {
      process.stderr.write(`bench/${peer.script} failed (exit ${code}); its rows are left out\n`);
      continue;
    }
    const result = JSON.parse(readFileSync(out, 'utf8'));
    const settingsText = Object.entries(result.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    groups.push({
      ...result,
      description: peer.description,
      settingsText: `${settingsText}; \`node bench/${peer.script} ${peer.args.join(' ')}\``,
    });
  }

  const scripts = [];
  for (const s of transportScripts.filter((t) => wanted(t.name))) {
    const envText = Object.entries(s.env ?? {})
      .map(([k, v]) => `${k}=${v} `)
      .join('');
    const shown = `${envText}node bench/${s.script}${s.args?.length ? ` ${s.args.join(' ')}` : ''}`;
    process.stderr.write(`\n== ${shown}\n`);
    const { code, stdout } = await runScript(here(s.script), s.args ?? [], s.env ?? {});
    scripts.push({ title: s.title, command: shown, code, summary: summaryOf(stdout) });
  }
  return {
    command,
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: { ...environment(), loadavgBefore: loadBefore, build: buildNote },
    groups,
    scripts,
  };
}

/**
 * With --only or --skip, the benches not run this time keep their figures from the last run
 * (bench/results/run.json, committed with the docs it produced), each marked with when it ran,
 * so that re-running one bench, on this machine or a fresh one, does not drop the others from
 * docs/benchmarks.md.
 */
function keepUnselected(run, last) {
  if (!last || (!values.only && !values.skip)) return run;
  const ranAt = (entry) => ({ ...entry, ranAt: entry.ranAt ?? last.startedAt });
  // The last run's order, each entry replaced by this run's where it ran again.
  const merge = (now, before, same) => [
    ...before.map((b) => now.find((n) => same(n, b)) ?? ranAt(b)),
    ...now.filter((n) => !before.some((b) => same(n, b))),
  ];
  const groups = merge(run.groups, last.groups, (a, b) => a.bench === b.bench);
  const scripts = merge(run.scripts, last.scripts, (a, b) => a.title === b.title);
  return { ...run, groups, scripts };
}

const soakFile = `${results}/soak.json`;
const sagaFile = `${results}/saga.json`;
// --report-only rewrites the docs from the last run's figures (e.g. after editing notes.md).
const previousFile = `${results}/run.json`;
const previous = existsSync(previousFile) ? JSON.parse(readFileSync(previousFile, 'utf8')) : undefined;
const measured = values['report-only'] ? previous : keepUnselected(await measure(), previous);
const run = {
  ...measured,
  soak: existsSync(soakFile) ? JSON.parse(readFileSync(soakFile, 'utf8')) : undefined,
  saga: existsSync(sagaFile) ? JSON.parse(readFileSync(sagaFile, 'utf8')) : undefined,
  // Hand-written reading of the profiles (bench/report/notes.md), kept beside the generated figures.
  notes: existsSync(here('./report/notes.md')) ? readFileSync(here('./report/notes.md'), 'utf8') : undefined,
};
writeFileSync(`${results}/run.json`, `${JSON.stringify(measured, null, 2)}\n`);
writeFileSync(`${root}/docs/benchmarks.svg`, barChart(run.groups));
// Formatted as the repository's prettier config wants, so `npm run format:check` stays green.
const docPath = `${root}/docs/benchmarks.md`;
const prettierOptions = { ...(await prettier.resolveConfig(docPath)), filepath: docPath };
writeFileSync(docPath, await prettier.format(benchmarksMarkdown(run), prettierOptions));
process.stderr.write(`\nwrote docs/benchmarks.md and docs/benchmarks.svg (data: bench/results/run.json)\n`);
