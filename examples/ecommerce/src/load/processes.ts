/**
 * The shop as five processes (one per service, as scripts/multi.mjs runs it) on RabbitMQ
 * or Kafka and PostgreSQL, started for the run with the fault runs' tooling
 * (scripts/chaos): a database and Tandem schema of the run's own (`tandem_load_<random>`),
 * RabbitMQ queues under a prefix of the run's own (deleted afterwards; no proxy in between)
 * or a librdkafka mock cluster of its own, free ports, and only processes this run started.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKafkaBroker, startRabbitBroker, type RunBroker } from '../../scripts/chaos/brokers.mjs';
import { createCluster, SERVICES, type Cluster } from '../../scripts/chaos/cluster.mjs';
import { connectRunDatabase, createRunDatabase, type RunDatabase } from '../../scripts/chaos/database.mjs';
import { FULFILMENT_SAGA } from '../sagas/order-fulfilment.js';
import { cpuMsOf, ownCpuMs } from './cpu.js';
import { outboxPublishedAt } from './outbox-times.js';
import { pgActivitySampler } from './pg-activity.js';
import { sqlStatusSource } from './shipped.js';
import { LOAD_PROCESS, type ShopTarget } from './target.js';

export class ShopStartError extends Error {
  readonly code = 'SHOP_LOAD_START';
}

/** The RabbitMQ node's process (beam.smp), found by name: read only, and shared with whoever else uses it. */
function rabbitPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'beam.smp') return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function withParams(url: string, params: string | undefined): string {
  if (!params) return url;
  const out = new URL(url);
  for (const [name, value] of new URLSearchParams(params)) out.searchParams.set(name, value);
  return out.href;
}

export async function startProcessShop(
  broker: 'rabbitmq' | 'kafka',
  options: { amqpUrl: string; pgUrl: string; brokerParams?: string | undefined; log: (line: string) => void },
): Promise<ShopTarget> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: Error) => options.log(`cleanup: ${e.message}`));
  };
  try {
    const database: RunDatabase = await createRunDatabase(options.pgUrl, { label: 'load' });
    cleanups.push(() => database.drop());
    const groups = [...SERVICES, FULFILMENT_SAGA, `${FULFILMENT_SAGA}.commands`];
    const run: RunBroker =
      broker === 'rabbitmq'
        ? await startRabbitBroker({ url: options.amqpUrl, groups, label: 'load', proxy: false })
        : await startKafkaBroker({ groups });
    cleanups.push(() => run.close());
    const logDir = mkdtempSync(join(tmpdir(), 'tandem-load-'));
    const t0 = performance.now();
    const cluster: Cluster = await createCluster({
      env: {
        TANDEM_BROKER_URL: withParams(run.serviceUrl, options.brokerParams),
        TANDEM_STORE_URL: database.storeUrl,
        TANDEM_LOG_LEVEL: 'warn',
      },
      logDir,
      log: options.log,
      stamp: () => `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    });
    cleanups.push(() => cluster.close());
    for (const name of SERVICES) cluster.start(name);
    if (!(await cluster.untilReady(SERVICES, 90_000)))
      throw new ShopStartError(`the five services did not become ready within 90 s; logs in ${logDir}`);
    const client = await connectRunDatabase(database.url);
    cleanups.push(() => client.end());
    // Its own connection: the shipped poll's queries do not wait behind the samples.
    const activityClient = await connectRunDatabase(database.url);
    cleanups.push(() => activityClient.end());
    const brokerPid = run.pid ?? rabbitPid();
    const brokerLabel = broker === 'kafka' ? 'kafka (mock cluster)' : 'rabbitmq (shared node)';
    return {
      describe: `five processes on ${run.describe}${options.brokerParams ? ` with ${options.brokerParams}` : ''}; PostgreSQL database ${database.name}; logs in ${logDir}`,
      url: cluster.orders,
      consoles: SERVICES.map((name) => ({ process: name, url: `http://127.0.0.1:${cluster.ports[name]}` })),
      async cpu() {
        const out = new Map<string, Map<number, number>>();
        for (const name of SERVICES) {
          const pid = cluster.pid(name);
          const ms = pid === undefined ? undefined : cpuMsOf(pid);
          out.set(name, new Map(pid !== undefined && ms !== undefined ? [[pid, ms]] : []));
        }
        // PostgreSQL's backends serving the run's database, by the service they serve (PGAPPNAME,
        // set by the cluster); this load's own connections count as `load`.
        const { rows } = await client.query<{ pid: number; app: string }>(
          'SELECT pid, application_name AS app FROM pg_stat_activity WHERE datname = $1',
          [database.name],
        );
        for (const { pid, app } of rows) {
          const label = `postgresql for ${app.startsWith('shop-') ? app.slice('shop-'.length) : 'load'}`;
          const ms = cpuMsOf(pid);
          if (ms === undefined) continue;
          if (!out.has(label)) out.set(label, new Map());
          out.get(label)!.set(pid, ms);
        }
        const brokerMs = brokerPid === undefined ? undefined : cpuMsOf(brokerPid);
        out.set(brokerLabel, new Map(brokerPid !== undefined && brokerMs !== undefined ? [[brokerPid, brokerMs]] : []));
        out.set(LOAD_PROCESS, new Map([[process.pid, ownCpuMs()]]));
        return out;
      },
      pgActivity: pgActivitySampler(activityClient, database.name),
      publishedAt: outboxPublishedAt(
        async <R>(sql: string, params: unknown[]) => (await client.query(sql, params)).rows as R[],
        `"${database.schema}".tandem_outbox`,
      ),
      status: sqlStatusSource(
        async (sql, params) => (await client.query<{ order_id: string; status: string }>(sql, params)).rows,
      ),
      eventsHandled: () => undefined,
      deadLetters: () => run.deadLetters(),
      async close() {
        if (cluster.unexpectedExits.length > 0)
          options.log(`services that exited on their own: ${cluster.unexpectedExits.map((e) => e.name).join(', ')}`);
        await cleanup();
        if (cluster.unexpectedExits.length === 0) rmSync(logDir, { recursive: true, force: true });
        else options.log(`logs kept in ${logDir}`);
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
