/**
 * Where an order's time goes, from its trace: every process keeps its part of the trace
 * in its console's span ring, and the load gave each order a trace id of its own. Per
 * sampled order the spans make these steps (all in ms, per order):
 *
 * - `handler`: a server or consumer span's own time (its duration minus the sync calls it
 *   made): validation, PostgreSQL (queries, inbox, outbox insert, commit), the handler;
 * - `call`: a sync call's time outside the callee's handler (HTTP, connection, the callee's
 *   queue), i.e. the client span minus the callee's server span;
 * - `wait`: from an event's publish (`ctx.publish`, inside the publishing handler) to the
 *   start of its consumer's span: the rest of the publishing handler and its commit, the
 *   outbox relay, the broker, the consumer's prefetch queue. When the load can read the
 *   outbox, it is split at the row's `published_at` (set when the relay marks it sent,
 *   after the broker confirmed it) into `outbox` (publish to marked sent) and `broker`
 *   (marked sent to the consumer's start; 0 when the consumer started before the mark);
 * - `client`: the load's own measure of `orders.place` minus the orders server span: the
 *   HTTP exchange with the load, queueing at the orders process, this process's lag.
 *
 * `sync` steps happen inside `orders.place`; `async` ones after it (shipping, the saga,
 * notifications). Spans that fell out of a ring (too old) leave their order out.
 */
import { request, type Dispatcher } from 'undici';
import { mean, summarize } from './stats.js';

interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  service?: string;
  startMs: number;
  durationMs: number;
  attributes: Record<string, string | number | boolean>;
}

export interface BreakdownRow {
  phase: 'sync' | 'async';
  process: string;
  step: string;
  kind: 'handler' | 'call' | 'wait' | 'outbox' | 'broker' | 'client';
  /** Mean over the sampled orders (0 for an order without this step), ms. */
  meanMs: number;
  /** p99 over the orders that have this step, ms. */
  p99Ms: number;
}

export interface Breakdown {
  /** Orders asked for, and orders whose trace had the orders.place server span. */
  sampled: number;
  complete: number;
  rows: BreakdownRow[];
}

/** When the relay marked each message sent (epoch ms), by message id: the outbox's `published_at`. */
export type PublishedAt = (messageIds: string[]) => Promise<Map<string, number>>;

export interface TracedOrder {
  traceId: string;
  /** The load's measure of orders.place for this order, ms. */
  placeMs: number;
}

const PLACE_SPAN = 'POST /commands/orders.place';

async function spansOf(consoles: Array<{ url: string }>, traceId: string, dispatcher: Dispatcher) {
  const byId = new Map<string, SpanRecord>();
  for (const { url } of consoles) {
    const res = await request(`${url}/_tandem/api/traces/${traceId}`, { dispatcher });
    if (res.statusCode !== 200) {
      await res.body.dump();
      continue;
    }
    const body = (await res.body.json()) as { spans?: SpanRecord[] };
    for (const span of body.spans ?? []) byId.set(span.spanId, span);
  }
  return byId;
}

const processOf = (span: SpanRecord) => (span.service ?? 'shop').replace(/^shop-/, '');
const endOf = (span: SpanRecord) => span.startMs + span.durationMs;

function stepsOf(
  spans: Map<string, SpanRecord>,
  placeMs: number,
  published: Map<string, number>,
): Map<string, Omit<BreakdownRow, 'meanMs' | 'p99Ms'> & { ms: number }> | undefined {
  const all = [...spans.values()];
  const place = all.find((s) => s.kind === 'server' && s.name === PLACE_SPAN && !spans.has(s.parentSpanId ?? ''));
  if (!place) return undefined;
  const children = new Map<string, SpanRecord[]>();
  for (const s of all) if (s.parentSpanId) children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
  // Inside orders.place: below its span without crossing a consumer (an event handled later).
  const inPlace = (s: SpanRecord): boolean => {
    for (let p: SpanRecord | undefined = s; p; p = spans.get(p.parentSpanId ?? '')) {
      if (p === place) return true;
      if (p.kind === 'consumer') return false;
    }
    return false;
  };
  const out = new Map<string, Omit<BreakdownRow, 'meanMs' | 'p99Ms'> & { ms: number }>();
  const add = (row: Omit<BreakdownRow, 'meanMs' | 'p99Ms'>, ms: number) => {
    const key = `${row.phase}|${row.process}|${row.kind}|${row.step}`;
    const seen = out.get(key);
    if (seen) seen.ms += ms;
    else out.set(key, { ...row, ms });
  };
  add(
    { phase: 'sync', process: 'load', step: 'HTTP to orders, queueing, load lag', kind: 'client' },
    Math.max(0, placeMs - place.durationMs),
  );
  for (const s of all) {
    const phase = inPlace(s) ? 'sync' : 'async';
    const kids = children.get(s.spanId) ?? [];
    if (s.kind === 'server' || s.kind === 'consumer') {
      const calls = kids.filter((k) => k.kind === 'client').reduce((n, k) => n + k.durationMs, 0);
      const group = s.attributes['messaging.consumer.group.name'];
      const step = s.kind === 'consumer' && group !== undefined ? `${s.name} [${group}]` : s.name;
      add({ phase, process: processOf(s), step, kind: 'handler' }, Math.max(0, s.durationMs - calls));
    }
    if (s.kind === 'client') {
      const callee = kids.find((k) => k.kind === 'server');
      add(
        { phase, process: processOf(s), step: s.name, kind: 'call' },
        Math.max(0, s.durationMs - (callee?.durationMs ?? 0)),
      );
    }
    if (s.kind === 'consumer') {
      const send = spans.get(s.parentSpanId ?? '');
      if (!send) continue;
      const group = s.attributes['messaging.consumer.group.name'];
      const row = {
        phase: 'async',
        process: processOf(s),
        step: `${s.name.replace(/^process /, '')} -> ${group}`,
      } as const;
      const wait = Math.max(0, s.startMs - endOf(send));
      const marked = published.get(String(s.attributes['messaging.message.id']));
      if (marked === undefined) add({ ...row, kind: 'wait' }, wait);
      else {
        const inOutbox = Math.min(wait, Math.max(0, marked - endOf(send)));
        add({ ...row, kind: 'outbox' }, inOutbox);
        add({ ...row, kind: 'broker' }, wait - inOutbox);
      }
    }
  }
  return out;
}

/** Reads the sampled orders' traces from every console and sums their steps. */
export async function breakdownOf(
  orders: TracedOrder[],
  consoles: Array<{ url: string }>,
  dispatcher: Dispatcher,
  publishedAt?: PublishedAt,
): Promise<Breakdown> {
  const traces = [];
  for (const order of orders) traces.push({ order, spans: await spansOf(consoles, order.traceId, dispatcher) });
  const ids = traces.flatMap(({ spans }) =>
    [...spans.values()].filter((s) => s.kind === 'consumer').map((s) => String(s.attributes['messaging.message.id'])),
  );
  const published = publishedAt && ids.length > 0 ? await publishedAt(ids) : new Map<string, number>();
  const perOrder: Array<Map<string, Omit<BreakdownRow, 'meanMs' | 'p99Ms'> & { ms: number }>> = [];
  for (const { order, spans } of traces) {
    const steps = stepsOf(spans, order.placeMs, published);
    if (steps) perOrder.push(steps);
  }
  const keys = new Map<string, Omit<BreakdownRow, 'meanMs' | 'p99Ms'>>();
  for (const steps of perOrder) for (const [key, { ms: _ms, ...row }] of steps) keys.set(key, row);
  const rows: BreakdownRow[] = [...keys].map(([key, row]) => {
    const values = perOrder.map((steps) => steps.get(key)?.ms);
    const present = values.filter((v): v is number => v !== undefined);
    return { ...row, meanMs: mean(values.map((v) => v ?? 0)), p99Ms: summarize(present).p99 };
  });
  rows.sort((a, b) => (a.phase === b.phase ? b.meanMs - a.meanMs : a.phase === 'sync' ? -1 : 1));
  return { sampled: orders.length, complete: perOrder.length, rows };
}
