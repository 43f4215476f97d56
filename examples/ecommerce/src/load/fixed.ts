/**
 * The fixed run (`--orders N --concurrency C`): N orders from C workers, each sending its
 * next order when the last is answered (a closed loop), then waits until every order
 * shipped. Its progress lines count answers, since concurrent requests finish out of order.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { ShippedWatch } from './shipped.js';
import { summarize } from './stats.js';
import type { ShopTarget } from './target.js';

const SKUS = ['tea', 'coffee', 'mug'];

export async function runFixed(
  target: ShopTarget,
  total: number,
  concurrency: number,
  dispatcher: Dispatcher,
): Promise<{ text: string; ok: boolean }> {
  const latencies: number[] = [];
  const watch = new ShippedWatch(target.status, 100);
  let accepted = 0;
  let rejected = 0;
  let failed = 0;
  let next = 0;
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
        items: [{ sku: SKUS[i % SKUS.length], qty: 1 + (i % 3) }],
      });
      const t0 = performance.now();
      try {
        const res = await request(`${target.url}/commands/orders.place`, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json' },
          body,
        });
        const answer = (await res.body.json()) as { orderId?: string; status?: string };
        latencies.push(performance.now() - t0);
        if (res.statusCode === 200 && answer.status === 'accepted') {
          accepted++;
          watch.add(answer.orderId!, performance.now());
        } else if (res.statusCode === 200) rejected++;
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
  await watch.settled(Math.max(0, 120_000 - placedIn));
  await watch.stop();
  const allShippedAfter = performance.now() - started;
  const place = summarize(latencies);
  const handled = target.eventsHandled();
  const letters = await target.deadLetters();
  const text = `
orders placed:        ${total} in ${(placedIn / 1000).toFixed(1)} s (${((total / placedIn) * 1000).toFixed(0)}/s, concurrency ${concurrency})
  accepted:           ${accepted}
  rejected:           ${rejected}
  failed:             ${failed}
orders.place latency: p50 ${place.p50.toFixed(1)} ms, p99 ${place.p99.toFixed(1)} ms
shipped:              ${watch.shippedMs.size}/${accepted}, all shipped ${(allShippedAfter / 1000).toFixed(1)} s after the first order
events handled:       ${handled ? [...handled].map(([s, n]) => `${s} ${n}`).join(', ') : 'n/a (not counted outside the in-process shop)'}
dead letters:         ${letters ? Object.values(letters).reduce((a, b) => a + b, 0) : 'n/a (remote shop)'}`;
  return { text, ok: failed === 0 && watch.pendingCount === 0 };
}
