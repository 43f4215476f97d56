import {
  MalformedRequestError,
  NotFoundError,
  retryParkedSaga,
  RouteNotFoundError,
  type SagaInstance,
  type SagaStatus,
  type Store,
} from '@tandem/core';
import { safeText } from './redact.js';

const STATUSES: readonly SagaStatus[] = ['running', 'compensating', 'parked', 'completed', 'compensated'];

function required(query: URLSearchParams, name: 'saga' | 'id'): string {
  const value = query.get(name);
  if (value === null || value === '') throw new MalformedRequestError(`pass ?saga=NAME&id=ID (${name} is missing)`);
  return value;
}

function nextTimeout(instance: SagaInstance): { name: string; dueAt: number } | null {
  let next: { name: string; dueAt: number } | null = null;
  for (const [name, t] of Object.entries(instance.data.timeouts))
    if (!t.fired && (!next || t.dueAt < next.dueAt)) next = { name, dueAt: t.dueAt };
  return next;
}

/** One instance as the list shows it. */
function summary(instance: SagaInstance) {
  return {
    saga: instance.saga,
    id: instance.id,
    status: instance.status,
    version: instance.version,
    createdAt: instance.createdAt,
    updatedAt: instance.updatedAt,
    nextTimeout: nextTimeout(instance),
    reason: safeText(instance.data.reason) ?? null,
    error: safeText(instance.data.error) ?? null,
  };
}

/** One instance with everything `tandem sagas show` prints: state, pending commands, timeouts, compensations, history. */
function detail(instance: SagaInstance) {
  return {
    ...summary(instance),
    state: instance.state,
    dueAt: instance.dueAt ?? null,
    pending: Object.entries(instance.data.pending).map(([commandId, p]) => ({
      commandId,
      command: p.command,
      compensation: p.compensation === true,
    })),
    timeouts: Object.entries(instance.data.timeouts).map(([name, t]) => ({
      name,
      dueAt: t.dueAt,
      fired: t.fired === true,
    })),
    compensations: instance.data.compensations.map((a) => ({ kind: a.kind, name: a.name })),
    failed: instance.data.failed ? { kind: instance.data.failed.kind, name: instance.data.failed.name } : null,
    history: instance.data.history.map((h) => ({ ...h, note: safeText(h.note) })),
  };
}

/**
 * `GET sagas[?saga=S][&status=ST][&limit=N]`: instances per saga and status, and the latest
 * changed instances (newest first, `limit` default 50, at most 500), or `sagas: 'none'`
 * when the store keeps no saga instances.
 */
export async function listSagas(store: Store | undefined, query: URLSearchParams) {
  const sagas = store?.sagas;
  if (!sagas) return { sagas: 'none', canRetry: false, counts: [], instances: [] };
  const status = query.get('status');
  if (status !== null && !STATUSES.includes(status as SagaStatus))
    throw new MalformedRequestError(`status: expected one of ${STATUSES.join(', ')}, got '${status}'`);
  const limitText = query.get('limit');
  const limit = limitText === null ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1)
    throw new MalformedRequestError(`limit: expected a positive integer, got '${limitText}'`);
  const saga = query.get('saga');
  const [counts, instances] = await Promise.all([
    sagas.counts(),
    sagas.list({
      ...(saga !== null && saga !== '' ? { saga } : {}),
      ...(status !== null ? { status: status as SagaStatus } : {}),
      limit: Math.min(limit, 500),
    }),
  ]);
  return { sagas: 'available', canRetry: store.outbox !== undefined, counts, instances: instances.map(summary) };
}

/** The store, when it keeps saga instances; else the route answers 404 saying so. */
function withSagas(store: Store | undefined): Store & { sagas: NonNullable<Store['sagas']> } {
  if (!store?.sagas)
    throw new RouteNotFoundError(
      `this app's store (${store?.name ?? 'none'}) keeps no saga instances (sagas need PostgreSQL, PGlite or memory)`,
    );
  return store as Store & { sagas: NonNullable<Store['sagas']> };
}

/** `GET sagas/instance?saga=S&id=ID`: one instance and its history, or 404. */
export async function getSaga(store: Store | undefined, query: URLSearchParams) {
  const saga = required(query, 'saga');
  const id = required(query, 'id');
  const instance = await withSagas(store).sagas.get(saga, id);
  if (!instance)
    throw new NotFoundError(`saga '${saga.slice(0, 200)}' has no instance '${id.slice(0, 200)}' in this app's store`);
  return detail(instance);
}

/**
 * `POST sagas/retry?saga=S&id=ID`: sends a parked instance back to compensating, as
 * `tandem sagas retry` does (404 when there is no such instance, 409 when it is not parked).
 */
export async function retrySaga(store: Store | undefined, query: URLSearchParams) {
  const saga = required(query, 'saga');
  const id = required(query, 'id');
  const kept = withSagas(store);
  if (!kept.outbox)
    throw new RouteNotFoundError(
      `this app's store (${kept.name}) has no outbox: a saga retry sends its compensation through it`,
    );
  return detail(await retryParkedSaga(kept, saga, id));
}
