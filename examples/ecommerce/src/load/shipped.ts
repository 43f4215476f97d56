/**
 * Accepted -> shipped, as the customer would see it: the fulfilment saga marks the order
 * `shipped` in the orders table when it hears `shipping.scheduled`, and `GET /orders/:id`
 * reads that row. The watch polls for the pending orders every few milliseconds, in one
 * SQL query when the load can reach the shop's database (no load on the shop's HTTP side),
 * or order by order over HTTP against a shop it only has the URL of.
 */
import { request, type Dispatcher } from 'undici';

/** Asks which of these orders are no longer `accepted`, and what they are now. */
export type StatusSource = (orderIds: string[]) => Promise<Map<string, string>>;

export type SqlQuery = (sql: string, params: unknown[]) => Promise<Array<{ order_id: string; status: string }>>;

export function sqlStatusSource(query: SqlQuery): StatusSource {
  return async (orderIds) => {
    const rows = await query(
      `SELECT order_id, status FROM shop_orders WHERE order_id = ANY($1::text[]) AND status <> 'accepted'`,
      [orderIds],
    );
    return new Map(rows.map((r) => [r.order_id, r.status]));
  };
}

/** One GET per pending order, a few at a time: it loads the shop, so only for a shop reached by URL. */
export function httpStatusSource(base: string, dispatcher: Dispatcher, parallel = 8): StatusSource {
  return async (orderIds) => {
    const out = new Map<string, string>();
    let next = 0;
    const worker = async () => {
      while (next < orderIds.length) {
        const id = orderIds[next++]!;
        const res = await request(`${base}/orders/${id}`, { dispatcher });
        const body = (await res.body.json()) as { status?: string };
        if (body.status !== undefined && body.status !== 'accepted') out.set(id, body.status);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, orderIds.length) }, worker));
    return out;
  };
}

const CHUNK = 2_000;

/** Orders accepted and not yet seen shipped, polled until each is shipped or ended otherwise. */
export class ShippedWatch {
  private readonly pending = new Map<string, number>();
  /** Accept answer -> seen shipped, ms, per order. */
  readonly shippedMs = new Map<string, number>();
  /** Orders that ended other than shipped (cancelled, refunded), with their status. */
  readonly otherwise = new Map<string, string>();
  private polling: Promise<void> | undefined;
  private stopped = false;
  pollErrors = 0;

  constructor(
    private readonly source: StatusSource,
    private readonly intervalMs = 20,
  ) {}

  /** `acceptedAt`: performance.now() when the accept answer arrived. */
  add(orderId: string, acceptedAt: number): void {
    this.pending.set(orderId, acceptedAt);
    this.polling ??= this.poll();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Resolves when nothing is pending or after `timeoutMs`; true when nothing is pending. */
  async settled(timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    while (this.pending.size > 0 && performance.now() < end) await sleep(this.intervalMs);
    return this.pending.size === 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.polling;
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      if (this.pending.size === 0) {
        await sleep(this.intervalMs);
        continue;
      }
      const ids = [...this.pending.keys()];
      for (let i = 0; i < ids.length; i += CHUNK) {
        let found: Map<string, string>;
        try {
          found = await this.source(ids.slice(i, i + CHUNK));
        } catch {
          this.pollErrors++;
          continue;
        }
        const seenAt = performance.now();
        for (const [id, status] of found) {
          const acceptedAt = this.pending.get(id);
          if (acceptedAt === undefined) continue;
          this.pending.delete(id);
          if (status === 'shipped') this.shippedMs.set(id, seenAt - acceptedAt);
          else this.otherwise.set(id, status);
        }
      }
      await sleep(this.intervalMs);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
