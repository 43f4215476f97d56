/**
 * The shop as five processes (scripts/multi.mjs), one per service, on RabbitMQ and a
 * PostgreSQL database of its own: the same code as the one-process shop, configured by
 * environment variables only. Sync calls cross processes over HTTP here.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, probeTcp, serviceAvailable } from '@tandem/core/testing';
import { sharedBrokerUse } from '../../../packages/transport-rabbitmq/test/support/broker-lock.js';
import { anOrder, freePortRun, getJson, placeOrder } from './support.js';

const here = dirname(fileURLToPath(import.meta.url));
// RabbitMQ's restart test stops the broker; it waits for this file, and this file for it.
sharedBrokerUse();
const root = join(here, '..', '..', '..');
const database = `shop_${randomBytes(4).toString('hex')}`;
const [rabbit, postgres] = [
  await serviceAvailable('RabbitMQ on 127.0.0.1:5672', () => probeTcp('127.0.0.1', 5672)),
  await serviceAvailable('PostgreSQL on 127.0.0.1:5432', () => probeTcp('127.0.0.1', 5432)),
];

describe.runIf(rabbit && postgres)('shop as one process per service on RabbitMQ and PostgreSQL', () => {
  let shop: ChildProcess | undefined;
  let basePort = 0;
  const admin = () => new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });

  beforeAll(async () => {
    execFileSync(process.execPath, [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-b',
      join(here, '..', 'tsconfig.build.json'),
    ]);
    const client = admin();
    await client.connect();
    await client.query(`CREATE DATABASE ${database}`);
    await client.end();
    basePort = await freePortRun(5);
    shop = spawn(process.execPath, [join(here, '..', 'scripts', 'multi.mjs')], {
      env: {
        ...process.env,
        TANDEM_BROKER_URL: `amqp://guest:guest@127.0.0.1:5672?prefix=${database}`,
        TANDEM_STORE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
        TANDEM_LOG_LEVEL: 'warn',
        SHOP_BASE_PORT: String(basePort),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await eventually(
      'all five services ready',
      async () => {
        for (let i = 0; i < 5; i++) {
          const ready = await getJson(`http://127.0.0.1:${basePort + i}/health/ready`).catch(() => ({ status: 0 }));
          if (ready.status !== 200) return false;
        }
        return true;
      },
      60_000,
      250,
    );
  }, 120_000);

  afterAll(async () => {
    if (shop && shop.exitCode === null) {
      shop.kill('SIGTERM');
      await new Promise((resolve) => shop!.once('exit', resolve));
    }
    const client = admin();
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.end();
  }, 60_000);

  it('places an order across processes: sync calls over HTTP, shipping and notifications by events', async () => {
    const orders = `http://127.0.0.1:${basePort}`;
    const placed = await placeOrder(orders, anOrder({ items: [{ sku: 'coffee', qty: 1 }] }));
    expect(placed.status).toBe(200);
    expect(placed.body.status).toBe('accepted');
    // orders is on basePort; notifications (the fifth service) answers its own query.
    await eventually(
      'shipped',
      async () =>
        (await getJson<{ status: string }>(`${orders}/orders/${placed.body.orderId}`)).body.status === 'shipped',
      20_000,
    );
    const notifications = `http://127.0.0.1:${basePort + 4}`;
    await eventually(
      'two notifications',
      async () =>
        (
          await getJson<{ notifications: unknown[] }>(
            `${notifications}/queries/notifications.list?orderId=${placed.body.orderId}`,
          )
        ).body.notifications.length === 2,
      20_000,
    );

    // One trace across the five processes (W3C context over HTTP and RabbitMQ), each process's
    // part in its own console span ring under its own service name (main.ts turns tracing on).
    const traces = await getJson<{ recording: boolean; traces: Array<{ traceId: string; name: string }> }>(
      `${orders}/_tandem/api/traces`,
    );
    expect(traces.body.recording).toBe(true);
    const placing = traces.body.traces.filter((t) => t.name === 'POST /commands/orders.place');
    expect(placing).toHaveLength(1);
    const { traceId } = placing[0]!;
    const names = ['orders', 'inventory', 'payments', 'shipping', 'notifications'];
    await eventually(
      'every process holds its part of the order trace',
      async () => {
        for (const [i, name] of names.entries()) {
          const part = await getJson<{ spans?: Array<{ service: string }> }>(
            `http://127.0.0.1:${basePort + i}/_tandem/api/traces/${traceId}`,
          );
          if (part.status !== 200 || !part.body.spans!.some((s) => s.service === `shop-${name}`)) return false;
        }
        return true;
      },
      20_000,
    );

    const declined = await placeOrder(orders, anOrder({ card: '4000-0000-0000-0002' }));
    expect(declined.body).toMatchObject({ status: 'rejected', reason: 'payment declined' });
  }, 60_000);
});
