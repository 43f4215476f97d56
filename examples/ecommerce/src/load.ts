/**
 * Load on the shop (see the README's "Load"):
 *
 *   npm run example:load -- [--broker memory|rabbitmq|kafka] [--step-seconds 5] [--max-rate 3200]
 *   npm run example:load -- --orders 500 [--concurrency 20] [--url http://127.0.0.1:3000]
 *
 * By default it searches for the highest rate of orders per second, arriving at a fixed
 * rate, at which `orders.place` keeps p99 < 200 ms and accepted -> shipped p99 < 1 s, and
 * says where the time and the CPU go at that rate (src/load/). With --orders it places N
 * orders at a fixed concurrency and reports what happened. The shop runs in this process
 * on the embedded defaults (--broker memory), as five processes on RabbitMQ or Kafka and
 * PostgreSQL, or is a running one (--url).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Agent } from 'undici';
import { runFixed } from './load/fixed.js';
import { startInProcessShop } from './load/in-process.js';
import { parseLoadOptions, usage, type LoadOptions } from './load/options.js';
import { startProcessShop } from './load/processes.js';
import { remoteShop } from './load/remote.js';
import { renderStepped } from './load/report.js';
import { runStepped } from './load/stepped.js';
import type { ShopTarget } from './load/target.js';

let options: LoadOptions;
try {
  options = parseLoadOptions(process.argv.slice(2));
} catch (error) {
  console.error(`load: ${(error as Error).message}\n\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}

const log = (line: string) => console.error(line);
const dispatcher = new Agent({ headersTimeout: 30_000, bodyTimeout: 30_000, keepAliveTimeout: 30_000 });
const target: ShopTarget = options.url
  ? remoteShop(options.url, dispatcher)
  : options.broker === 'memory'
    ? await startInProcessShop()
    : await startProcessShop(options.broker, {
        amqpUrl: options.amqpUrl,
        pgUrl: options.pgUrl,
        brokerParams: options.brokerParams,
        log,
      });

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`load: ${signal}; stopping the shop`);
    void target.close().finally(() => process.exit(130));
  });
}

try {
  if (options.orders !== undefined) {
    const { text, ok } = await runFixed(target, options.orders, options.concurrency, dispatcher);
    console.log(text);
    process.exitCode = ok ? 0 : 1;
  } else {
    log(`shop: ${target.describe}`);
    const report = await runStepped(target, options.stepped, dispatcher, log, loadavg);
    console.log(`\n${renderStepped(report)}`);
    if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = report.sustainableRate === undefined ? 1 : 0;
  }
} finally {
  await target.close();
  await dispatcher.close();
}
