// The bounded load: N orders from `concurrency` workers, each sent with an
// Idempotency-Key and retried with the same key until it gets an answer (a 5xx, a refused
// or dropped connection, a 409 while the first attempt still runs), so every order is
// meant to be placed exactly once however often it is sent.
import { Agent, request } from 'undici';
import { between, shuffled } from './prng.mjs';

const SKUS = ['tea', 'coffee', 'mug'];
const DECLINED_CARD = '4000-0000-0000-0002';
const RETRY_STATUSES = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** The orders of a run, all drawn from the seeded PRNG: 1 to `maxLines` lines; about one in twenty is declined. */
export function makeOrders(random, count, runId, maxLines) {
  return Array.from({ length: count }, (_, i) => {
    const key = `${runId}-${i}`;
    const declined = random() < 0.05;
    const skus = shuffled(random, SKUS).slice(0, between(random, 1, maxLines));
    return {
      key,
      declined,
      body: {
        customer: key,
        email: `c${i}@example.com`,
        card: declined ? DECLINED_CARD : '4242-4242-4242-4242',
        items: skus.map((sku) => ({ sku, qty: between(random, 1, 3) })),
      },
    };
  });
}

/**
 * @param {{ url: string, orders: ReturnType<typeof makeOrders>, concurrency: number, budgetMs: number,
 *           gate: (index: number) => Promise<void>, now: () => number }} options
 */
export function startLoad({ url, orders, concurrency, budgetMs, gate, now }) {
  const agent = new Agent({ connections: concurrency, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const results = new Array(orders.length);
  const stats = { attempts: 0, retriedStatus: {}, connectionErrors: 0, finished: 0, acceptedAt: [] };
  let next = 0;

  async function place(order) {
    const end = now() + budgetMs;
    let last = '';
    for (let attempt = 1; ; attempt++) {
      stats.attempts++;
      let retryAfterMs = 0;
      try {
        const res = await request(`${url}/commands/orders.place`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'idempotency-key': order.key },
          body: JSON.stringify(order.body),
        });
        const text = await res.body.text();
        if (res.statusCode === 200) {
          const answer = JSON.parse(text);
          if (answer.status === 'accepted') stats.acceptedAt.push(now());
          return { outcome: answer.status, orderId: answer.orderId, reason: answer.reason, attempts: attempt };
        }
        last = `${res.statusCode} ${text.slice(0, 200)}`;
        if (!RETRY_STATUSES.has(res.statusCode)) return { outcome: 'refused', detail: last, attempts: attempt };
        stats.retriedStatus[res.statusCode] = (stats.retriedStatus[res.statusCode] ?? 0) + 1;
        retryAfterMs = Number(res.headers['retry-after'] ?? 0) * 1000;
      } catch (error) {
        stats.connectionErrors++;
        last = `${error.code ?? error.name}: ${error.message}`;
      }
      const pause = Math.min(Math.max(retryAfterMs, 50 * 2 ** Math.min(attempt, 4)), 1_000);
      if (now() + pause > end) return { outcome: 'unanswered', detail: last, attempts: attempt };
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async function worker() {
    while (next < orders.length) {
      const index = next++;
      await gate(index);
      results[index] = {
        index,
        key: orders[index].key,
        declined: orders[index].declined,
        ...(await place(orders[index])),
      };
      stats.finished++;
    }
  }

  const done = Promise.all(Array.from({ length: concurrency }, worker)).finally(() => agent.close());
  return { done: done.then(() => results), stats };
}
