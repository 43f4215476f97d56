import { outboxAdminOf, type App, type SyncHost } from '@tandem/core';
import { safeHeaders, safeText } from './redact.js';
import { groupsOf } from './model.js';

/** `GET breakers`: each circuit breaker of the app's call transport, from its health checks. */
export async function breakersJson(host: SyncHost) {
  const report = await host.health();
  const breakers = Object.entries(report.checks)
    .filter(([name]) => name.startsWith('breaker:'))
    .map(([name, check]) => ({
      target: name.slice('breaker:'.length),
      state: check.detail ?? 'unknown',
      ok: check.ok,
    }));
  return { breakers };
}

/**
 * `GET lag`: per consumer group, the messages waiting for it, where the broker can count
 * them (BrokerTransport.backlog), else 'unknown' (the delivery delay is in the
 * `tandem.consumer.lag` metric either way).
 */
export async function lagJson(app: App) {
  const broker = app.broker;
  const groups = await Promise.all(
    groupsOf(app).map(async (group) => ({
      group,
      waiting: broker.backlog ? await broker.backlog(group).catch(() => 'unknown' as const) : ('unknown' as const),
    })),
  );
  return { broker: broker.name, groups };
}

/** `GET outbox`: waiting and parked records, and the parked ones (up to `limit`, default 50). */
export async function outboxJson(app: App, query: URLSearchParams) {
  const admin = outboxAdminOf(app.store?.outbox);
  if (!admin) return { outbox: app.store?.outbox ? 'unknown' : 'none', backlog: null, parked: [] };
  const limit = Math.min(500, Math.max(1, Number(query.get('limit') ?? 50) || 50));
  const [counts, parked] = await Promise.all([admin.counts(), admin.refused({ parkedOnly: true, limit })]);
  return {
    outbox: 'available',
    backlog: counts,
    parked: parked.map((r) => ({
      seq: r.seq,
      topic: r.message.topic,
      key: r.message.key,
      headers: safeHeaders(r.message.headers),
      lastError: safeText(r.lastError),
      createdAt: r.createdAt,
      parkedAt: r.parkedAt,
    })),
  };
}
