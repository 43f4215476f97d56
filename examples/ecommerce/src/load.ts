/**
 * Places N orders against the shop and reports what happened:
 *
 *   npm run example:load -- [--orders 500] [--concurrency 20] [--url http://127.0.0.1:3000]
 *
 * Without --url it starts the whole shop in this process on the embedded defaults (in-process
 * broker, PGlite in a temporary folder), so it can also count events per service and dead
 * letters; with --url it drives a running shop over HTTP only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, type Middleware, type Invocation } from '@tandem/core';
import { request } from 'undici';
import { buildShop } from './shop.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '20' },
    url: { type: 'string' },
  },
});
const total = Number(values.orders);
const concurrency = Number(values.concurrency);

const handled = new Map<string, number>();
const countEvents: Middleware<Invocation> = async (inv, next) => {
  const result = await next();
  if (inv.registration.kind === 'event')
    handled.set(inv.registration.service, (handled.get(inv.registration.service) ?? 0) + 1);
  return result;
};

let base = values.url;
let stop = async () => {};
let deadLetters = async (): Promise<number | undefined> => undefined;
if (!base) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-shop-load-'));
  const shop = await buildShop(
    { ...process.env, TANDEM_STORE_URL: `pglite://${dir}`, TANDEM_HTTP_PORT: '0', TANDEM_HTTP_HOST: '127.0.0.1' },
    { logger: createLogger({ level: 'warn' }), middleware: [countEvents] },
  );
  await shop.app.start();
  base = shop.server.url!;
  stop = async () => {
    await shop.app.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  deadLetters = async () => {
    const access = shop.app.broker.deadLetters;
    if (!access) return undefined;
    const lists = await Promise.all(shop.services.map((g) => access.list(g)));
    return lists.reduce((n, l) => n + l.length, 0);
  };
}

const skus = ['tea', 'coffee', 'mug'];
const latencies: number[] = [];
const accepted: string[] = [];
let rejected = 0;
let failed = 0;
let next = 0;
/** Requests answered so far: progress counts these, since concurrent requests finish out of order. */
let done = 0;
const step = Math.max(1, Math.floor(total / 10));
const started = performance.now();

async function worker(): Promise<void> {
  while (next < total) {
    const i = next++;
    const body = JSON.stringify({
      customer: `customer-${i}`,
      email: `customer-${i}@example.com`,
      card: '4242-4242-4242-4242',
      items: [{ sku: skus[i % skus.length], qty: 1 + (i % 3) }],
    });
    const t0 = performance.now();
    try {
      const res = await request(`${base}/commands/orders.place`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const answer = (await res.body.json()) as { orderId?: string; status?: string };
      latencies.push(performance.now() - t0);
      if (res.statusCode === 200 && answer.status === 'accepted') accepted.push(answer.orderId!);
      else if (res.statusCode === 200) rejected++;
      else failed++;
    } catch {
      failed++;
    }
    done++;
    if (done % step === 0 || done === total) process.stdout.write(`placed ${done}/${total}\n`);
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
const placedIn = performance.now() - started;

let shipped = 0;
const pending = new Set(accepted);
while (pending.size > 0 && performance.now() - started < 120_000) {
  for (const orderId of [...pending]) {
    const res = await request(`${base}/orders/${orderId}`);
    const order = (await res.body.json()) as { status?: string };
    if (order.status === 'shipped') pending.delete(orderId);
  }
  shipped = accepted.length - pending.size;
  if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
}
const allShippedAfter = performance.now() - started;

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const letters = await deadLetters();
console.log(`
orders placed:        ${total} in ${(placedIn / 1000).toFixed(1)} s (${((total / placedIn) * 1000).toFixed(0)}/s, concurrency ${concurrency})
  accepted:           ${accepted.length}
  rejected:           ${rejected}
  failed:             ${failed}
orders.place latency: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms
shipped:              ${shipped}/${accepted.length}, all shipped ${(allShippedAfter / 1000).toFixed(1)} s after the first order
events handled:       ${handled.size ? [...handled].map(([s, n]) => `${s} ${n}`).join(', ') : 'n/a (remote shop)'}
dead letters:         ${letters ?? 'n/a (remote shop)'}`);
await stop();
process.exitCode = failed > 0 || pending.size > 0 ? 1 : 0;
