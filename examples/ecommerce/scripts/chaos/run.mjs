// One fault-injection run: a database and a broker of its own, the five services, the
// load with its faults, the drain, and the table.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKafkaBroker, startRabbitBroker } from './brokers.mjs';
import { createCluster, SERVICES } from './cluster.mjs';
import { allRows, eventualRows, snapshot } from './counts.mjs';
import { FULFILMENT_SAGA } from '../../dist/sagas/order-fulfilment.js';
import { connectRunDatabase, createRunDatabase } from './database.mjs';
import { describeFault, inject, parseFaults, quickFaults, schedule } from './faults.mjs';
import { createHolds } from './holds.mjs';
import { makeOrders, startLoad } from './load.mjs';
import { prng } from './prng.mjs';
import { seconds } from './report.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The faults and orders of a seed: drawn before anything runs, so a seed always means the same run. */
export function planRun(options, seed) {
  const random = prng(seed);
  const faults = options.quick ? quickFaults(options.broker, random) : parseFaults(options.faults, options.broker);
  const plan = schedule(faults, random);
  return { ...plan, orders: makeOrders(random, options.orders, `k${seed}`, options.lines) };
}

/**
 * @param {ReturnType<import('./options.mjs').parseOptions>} options
 * @param {number} seed
 * @param {(line: string) => void} log
 * @param {{ onCleanup: (fn: () => Promise<void>) => void }} hooks lets the caller tear down on Ctrl-C
 */
export async function runOnce(options, seed, log, hooks) {
  const plan = planRun(options, seed);
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const at = () => `${(now() / 1000).toFixed(1).padStart(6)} s`;
  const logDir = mkdtempSync(join(tmpdir(), `tandem-chaos-${seed}-`));
  const cleanups = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((error) => log(`cleanup: ${error.message}`));
  };
  hooks.onCleanup(cleanup);
  try {
    if (plan.startOrder) log(`start-order: inventory starts ${seconds(plan.startOrder.delayMs)} after the load`);
    for (const fault of plan.timed) log(`planned: ${describeFault(fault)}`);

    const database = await createRunDatabase(options.pg);
    cleanups.push(() => database.drop());
    // The fulfilment saga (in the orders process) consumes as two groups of its own.
    const groups = [...SERVICES, FULFILMENT_SAGA, `${FULFILMENT_SAGA}.commands`];
    const broker =
      options.broker === 'amqp'
        ? await startRabbitBroker({ url: options.amqp, groups })
        : await startKafkaBroker({ groups });
    cleanups.push(() => broker.close());
    log(
      `database ${database.name} (Tandem tables in schema ${database.schema}); ${broker.describe}; logs in ${logDir}`,
    );

    const cluster = await createCluster({
      env: {
        TANDEM_BROKER_URL: broker.serviceUrl,
        TANDEM_STORE_URL: database.storeUrl,
        TANDEM_LOG_LEVEL: 'warn',
        SHOP_ORDER_TIMEOUT_MS: String(options.orderTimeoutMs),
      },
      logDir,
      log: (line) => log(`${at()}  ${line}`),
      stamp: () => seconds(now()),
    });
    cleanups.push(() => cluster.close());
    const first = plan.startOrder ? SERVICES.filter((s) => s !== 'inventory') : SERVICES;
    for (const name of first) cluster.start(name);
    if (!(await cluster.untilReady(first, 90_000)))
      throw new Error(`services did not become ready within 90 s; see ${logDir}`);
    log(`${at()}  ${first.join(', ')} ready`);

    const recoveries = [];
    const holds = createHolds(
      plan.timed.map((fault) => fault.at * options.orders),
      Math.max(2 * options.concurrency, Math.ceil(options.orders / 10)),
    );
    const load = startLoad({
      url: cluster.orders,
      orders: plan.orders,
      concurrency: options.concurrency,
      budgetMs: options.budgetMs,
      now,
      gate: (index) => holds.gate(index),
    });
    cleanups.push(async () => load.stop());
    // The next fault waits for an accepted order, so one fault's outage is not counted against the next.
    const untilAccepted = async (since) => {
      const end = Date.now() + 30_000;
      const next = () => load.stats.acceptedAt.find((t) => t >= since);
      holds.measuring(true);
      while (Date.now() < end && next() === undefined && load.stats.finished < options.orders) await sleep(50);
      holds.measuring(false);
      const first = next();
      log(
        `${at()}    next accepted order ${first === undefined ? 'not within 30 s' : `${seconds(first - since)} after`}`,
      );
    };

    const faults = (async () => {
      try {
        if (plan.startOrder) {
          await sleep(plan.startOrder.delayMs);
          cluster.start('inventory');
          await cluster.untilReady(['inventory'], 60_000);
          log(`${at()}  start-order: inventory ready after the others`);
          const since = now();
          recoveries.push({ fault: 'start-order', since });
          await untilAccepted(since);
        }
        for (const [k, fault] of plan.timed.entries()) {
          while (load.stats.finished < fault.at * options.orders) await sleep(50);
          const began = at();
          let detail;
          try {
            detail = await inject(fault, { cluster, broker, database });
          } finally {
            holds.ended(k);
          }
          const over = now();
          recoveries.push({ fault: describeFault(fault), since: over });
          const ready = await cluster.untilReady(SERVICES, 60_000);
          const late = now() - over > 1_000 ? `; every service ready ${seconds(now() - over)} later` : '';
          log(
            `${began}  ${describeFault(fault)}: ${detail}; over at ${seconds(over)}${ready ? late : '; some service not ready 60 s later'}`,
          );
          await untilAccepted(over);
        }
      } finally {
        holds.endAll();
      }
    })();
    await faults;
    const results = await load.done;
    if (cluster.fatal) throw new Error(cluster.fatal);
    const loadEnded = now();
    log(
      `${at()}  load done: ${load.stats.attempts} requests for ${options.orders} orders, ${load.stats.connectionErrors} connection errors, retried statuses ${JSON.stringify(load.stats.retriedStatus)}; slowest order answered after ${seconds(load.stats.slowestMs)}`,
    );

    const counts = await connectRunDatabase(database.url);
    cleanups.push(() => counts.end());
    let db;
    let settledMs;
    for (;;) {
      db = await snapshot(counts, database.schema);
      if (eventualRows(db).every((r) => r.ok)) {
        settledMs = now() - loadEnded;
        break;
      }
      if (now() - loadEnded > options.drainMs) break;
      await sleep(500);
    }
    log(
      `${at()}  ${settledMs === undefined ? `not drained after ${seconds(options.drainMs)}` : `drained ${seconds(settledMs)} after the load`}`,
    );

    let deadLetters;
    let deadLetterError;
    try {
      deadLetters = await broker.deadLetters();
    } catch (error) {
      deadLetterError = `could not read: ${error.message}`;
    }
    await cluster.close();
    const run = {
      deadLetters,
      deadLetterError,
      unexpectedExits: cluster.unexpectedExits,
      stops: cluster.stops,
      recoveries: recoveries.map(({ fault, since }) => {
        const next = load.stats.acceptedAt.find((t) => t >= since);
        return { fault, ms: next === undefined ? Infinity : next - since };
      }),
      recoveryBoundMs: options.recoveryBoundMs,
      drainMs: options.drainMs,
      settledMs,
    };
    const rows = allRows(db, results, run);
    return { rows, logDir, unexpectedExits: cluster.unexpectedExits, plan };
  } finally {
    await cleanup();
  }
}
