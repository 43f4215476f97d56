// npm run chaos: the example shop as five processes on RabbitMQ or Kafka and PostgreSQL,
// a bounded load, faults scheduled from a seed, and a table of what the database says
// afterwards. Exits 1 when a row fails. See examples/ecommerce/README.md ("Fault runs").
import { rmSync } from 'node:fs';
import { parseOptions, replayCommand, usage } from './options.mjs';
import { table } from './report.mjs';
import { runOnce } from './run.mjs';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`chaos: ${error.message}\n\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}

let cleanup = async () => {};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`chaos: ${signal}; stopping the services and dropping the run's database`);
    void cleanup().finally(() => process.exit(130));
  });
}

const failures = [];
for (let r = 0; r < options.runs; r++) {
  const seed = options.seed + r;
  console.log(
    `\n== run ${r + 1}/${options.runs}: ${options.broker}, seed ${seed}, ${options.orders} orders at concurrency ${options.concurrency} ==`,
  );
  let result;
  try {
    result = await runOnce(options, seed, (line) => console.log(line), { onCleanup: (fn) => (cleanup = fn) });
  } catch (error) {
    console.error(`chaos: run with seed ${seed} could not complete: ${error.stack ?? error.message}`);
    failures.push({ seed, rows: [] });
    continue;
  }
  console.log(`\n${table(result.rows)}\n`);
  for (const exit of result.unexpectedExits) {
    console.log(`  ${exit.name} exited on its own (${exit.signal ?? exit.code}) at ${exit.at}:`);
    for (const line of exit.reason) console.log(`    | ${line.trim().slice(0, 240)}`);
  }
  const failed = result.rows.filter((row) => !row.ok);
  console.log(`replay: ${replayCommand(options, seed)}`);
  if (failed.length > 0) {
    failures.push({ seed, rows: failed });
    console.log(`logs:   ${result.logDir}`);
  } else if (!options.keepLogs) rmSync(result.logDir, { recursive: true, force: true });
  else console.log(`logs:   ${result.logDir}`);
}

console.log(
  `\n${options.runs - failures.length} of ${options.runs} run(s) held every invariant` +
    (failures.length
      ? `; failed: ${failures.map((f) => `seed ${f.seed} (${f.rows.map((r) => r.metric).join('; ') || 'did not complete'})`).join(', ')}`
      : ''),
);
process.exitCode = failures.length > 0 ? 1 : 0;
