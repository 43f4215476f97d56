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
 * Runs the orders; `gate(index)` may hold a new order back (the fault schedule uses it).
 * An order answered 409 (its key is still claimed by a run elsewhere, e.g. in an
 * instance that died) is put aside until its Retry-After and the worker takes the next
 * order, as other customers keep ordering meanwhile; other failures are retried at once
 * with backoff. An order gets `budgetMs` from its first attempt.
 * @param {{ url: string, orders: ReturnType<typeof makeOrders>, concurrency: number, budgetMs: number,
 *           gate: (index: number) => Promise<unknown>, now: () => number }} options
 */
export function startLoad({ url, orders, concurrency, budgetMs, gate, now }) {
  const agent = new Agent({ connections: concurrency, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const results = new Array(orders.length);
  const stats = { attempts: 0, retriedStatus: {}, connectionErrors: 0, finished: 0, acceptedAt: [], slowestMs: 0 };
  const aside = [];
  let next = 0;
  let stopped = false;

  /** One request; an answer, or how long to wait before the next attempt. */
  async function send(order) {
    stats.attempts++;
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
        return { final: { outcome: answer.status, orderId: answer.orderId, reason: answer.reason } };
      }
      const detail = `${res.statusCode} ${text.slice(0, 120)}`;
      if (!RETRY_STATUSES.has(res.statusCode)) return { final: { outcome: 'refused', detail } };
      stats.retriedStatus[res.statusCode] = (stats.retriedStatus[res.statusCode] ?? 0) + 1;
      return { detail, status: res.statusCode, retryAfterMs: Number(res.headers['retry-after'] ?? 0) * 1000 };
    } catch (error) {
      stats.connectionErrors++;
      return { detail: `${error.code ?? error.name}: ${error.message}` };
    }
  }

  /** Tries one order until it is answered, put aside (409), or out of budget. */
  async function work(job) {
    while (!stopped) {
      job.attempts++;
      const { final, detail, status, retryAfterMs = 0 } = await send(job.order);
      if (final) return finish(job, final);
      const pause = Math.min(Math.max(retryAfterMs, 50 * 2 ** Math.min(job.attempts, 4)), 1_000);
      if (now() + pause > job.end) return finish(job, { outcome: 'unanswered', detail });
      if (status === 409) {
        aside.push({ ...job, due: now() + pause });
        return;
      }
      await sleep(pause);
    }
  }

  function finish(job, final) {
    const ms = now() - job.started;
    if (final.outcome === 'accepted') stats.acceptedAt.push(now());
    stats.slowestMs = Math.max(stats.slowestMs, ms);
    results[job.index] = {
      index: job.index,
      key: job.order.key,
      declined: job.order.declined,
      attempts: job.attempts,
      ms,
      ...final,
    };
    stats.finished++;
  }

  async function worker() {
    while (!stopped) {
      const due = aside.findIndex((job) => job.due <= now());
      if (due >= 0) {
        await work(aside.splice(due, 1)[0]);
      } else if (next < orders.length) {
        const index = next++;
        await gate(index);
        await work({ index, order: orders[index], attempts: 0, started: now(), end: now() + budgetMs });
      } else if (aside.length > 0) {
        await sleep(Math.max(10, Math.min(...aside.map((job) => job.due)) - now()));
      } else return;
    }
  }

  const done = Promise.all(Array.from({ length: concurrency }, worker)).finally(() => agent.close());
  return {
    done: done.then(() => results),
    stats,
    /** Ends the load early (a run that failed): workers finish their current request and stop. */
    stop() {
      stopped = true;
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
