/**
 * One step of the open-loop load: orders arrive at a fixed rate whatever the shop answers,
 * as customers do, so a slow shop meets a queue instead of slowing the load down (a
 * closed loop of N workers would). Each order's latency runs from when it was due, not
 * from when it was sent, so a late send (this process busy) counts against the answer
 * too. Each order carries a W3C `traceparent` of its own, so its trace can be found in
 * every process's span ring afterwards.
 */
import { randomBytes } from 'node:crypto';
import { request, type Dispatcher } from 'undici';

export interface Arrivals {
  rate: number;
  seconds: number;
  /** Where this step's order numbers start (customers and e-mails differ across steps). */
  firstOrder: number;
  /** Orders in flight beyond which new arrivals are dropped, so an overloaded shop cannot take this process down with it. */
  maxInFlight: number;
}

export interface ArrivalsResult {
  /** Orders due in the step. */
  due: number;
  /** Client-measured latency of every answered `orders.place`, from when it was due, ms. */
  placeMs: number[];
  accepted: Array<{ orderId: string; traceId: string; placeMs: number }>;
  rejected: number;
  /** Non-200 answers and failed requests. */
  failed: number;
  /** Arrivals not sent because maxInFlight orders were in flight. */
  dropped: number;
  /** How late sends left after their due time, ms (this process's own lag). */
  sendLagMs: number[];
  /** First arrival to last answer, ms. */
  elapsedMs: number;
  firstFailure: string | undefined;
}

const SKUS = ['tea', 'coffee', 'mug'];

/** One product per order: two lines can deadlock the reservations (docs/reliability.md, F1), which is not what this measures. */
function orderBody(i: number): string {
  return JSON.stringify({
    customer: `customer-${i}`,
    email: `customer-${i}@example.com`,
    card: '4242-4242-4242-4242',
    items: [{ sku: SKUS[i % SKUS.length], qty: 1 + (i % 3) }],
  });
}

/** `onAccepted` is called as each accept answer arrives, with performance.now() of its arrival. */
export async function runArrivals(
  base: string,
  dispatcher: Dispatcher,
  arrivals: Arrivals,
  onAccepted: (orderId: string, at: number) => void,
): Promise<ArrivalsResult> {
  const due = Math.max(1, Math.round(arrivals.rate * arrivals.seconds));
  const interval = 1000 / arrivals.rate;
  const result: ArrivalsResult = {
    due,
    placeMs: [],
    accepted: [],
    rejected: 0,
    failed: 0,
    dropped: 0,
    sendLagMs: [],
    elapsedMs: 0,
    firstFailure: undefined,
  };
  const inFlight = new Set<Promise<void>>();
  const fail = (why: string) => {
    result.failed++;
    result.firstFailure ??= why;
  };

  const place = async (i: number, dueAt: number) => {
    const traceId = randomBytes(16).toString('hex');
    try {
      const res = await request(`${base}/commands/orders.place`, {
        method: 'POST',
        dispatcher,
        headers: {
          'content-type': 'application/json',
          traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        },
        body: orderBody(arrivals.firstOrder + i),
      });
      const text = await res.body.text();
      const at = performance.now();
      const placeMs = at - dueAt;
      result.placeMs.push(placeMs);
      if (res.statusCode !== 200) return fail(`${res.statusCode} ${text.slice(0, 160)}`);
      const answer = JSON.parse(text) as { orderId?: string; status?: string };
      if (answer.status === 'accepted' && answer.orderId) {
        result.accepted.push({ orderId: answer.orderId, traceId, placeMs });
        onAccepted(answer.orderId, at);
      } else result.rejected++;
    } catch (error) {
      fail(`${(error as { code?: string }).code ?? ''} ${(error as Error).message}`.trim());
    }
  };

  const start = performance.now();
  let sent = 0;
  while (sent < due) {
    const now = performance.now();
    // Every arrival due by now leaves now: a timer that fired late sends the backlog at once.
    while (sent < due && start + sent * interval <= now) {
      const dueAt = start + sent * interval;
      if (inFlight.size >= arrivals.maxInFlight) {
        result.dropped++;
      } else {
        result.sendLagMs.push(now - dueAt);
        const p = place(sent, dueAt).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      sent++;
    }
    if (sent < due) await sleep(Math.max(0, start + sent * interval - performance.now()));
  }
  await Promise.all(inFlight);
  result.elapsedMs = performance.now() - start;
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
