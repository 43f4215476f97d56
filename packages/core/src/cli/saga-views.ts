/**
 * How `tandem sagas` prints instances: a table and a per-saga summary for `list`, a report
 * for `show`, and JSON with ISO times for scripts.
 */
import type { SagaAction, SagaCount, SagaInstance, SagaStatus } from '../sagas/saga-store.js';
import { formatDuration, isoSeconds, relativeTo } from './durations.js';
import { formatTable } from './table.js';

const STATUSES: readonly SagaStatus[] = ['running', 'compensating', 'parked', 'completed', 'compensated'];
const OPEN: readonly SagaStatus[] = ['running', 'compensating', 'parked'];

/** The earliest timeout of an instance the clock has not fired yet. */
export function nextTimeout(instance: SagaInstance): { name: string; dueAt: number } | undefined {
  let next: { name: string; dueAt: number } | undefined;
  for (const [name, t] of Object.entries(instance.data.timeouts)) {
    if (!t.fired && (!next || t.dueAt < next.dueAt)) next = { name, dueAt: t.dueAt };
  }
  return next;
}

function why(instance: SagaInstance): string {
  const { reason, error } = instance.data;
  return [reason, error].filter((s) => s !== undefined && s !== '').join(': ');
}

/** One row per instance: saga, id, status, age, last change, next timeout, reason/error. */
export function instanceTable(instances: readonly SagaInstance[], now: number): string {
  if (instances.length === 0) return 'no saga instances\n';
  return formatTable([
    ['SAGA', 'ID', 'STATUS', 'AGE', 'LAST CHANGE', 'NEXT TIMEOUT', 'REASON / ERROR'],
    ...instances.map((i) => {
      const timeout = nextTimeout(i);
      return [
        i.saga,
        i.id,
        i.status,
        formatDuration(now - i.createdAt),
        `${isoSeconds(i.updatedAt)} (${relativeTo(i.updatedAt, now)})`,
        timeout ? `${timeout.name} ${relativeTo(timeout.dueAt, now)}` : '',
        why(i).slice(0, 100),
      ];
    }),
  ]);
}

/** Instances per saga and status, with how long the oldest open one has gone unchanged. */
export function countsTable(counts: readonly SagaCount[], now: number): string {
  if (counts.length === 0) return 'no saga instances in the store\n';
  const sagas = [...new Set(counts.map((c) => c.saga))].sort();
  return formatTable([
    ['SAGA', ...STATUSES.map((s) => s.toUpperCase()), 'OLDEST OPEN CHANGE'],
    ...sagas.map((saga) => {
      const mine = counts.filter((c) => c.saga === saga);
      const open = mine.filter((c) => OPEN.includes(c.status));
      const oldest = open.length > 0 ? Math.min(...open.map((c) => c.oldestUpdatedAt)) : undefined;
      return [
        saga,
        ...STATUSES.map((s) => String(mine.find((c) => c.status === s)?.count ?? 0)),
        oldest === undefined ? '' : relativeTo(oldest, now),
      ];
    }),
  ]);
}

function describeAction(action: SagaAction): string {
  return action.kind === 'command'
    ? `command ${action.name} ${JSON.stringify(action.input)}`
    : `event ${action.name} ${JSON.stringify(action.data)}${action.key !== undefined ? ` (key ${action.key})` : ''}`;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/** Everything an operator needs to decide about one instance. */
export function instanceReport(i: SagaInstance, now: number): string {
  const lines = [
    `saga          ${i.saga}`,
    `id            ${i.id}`,
    `status        ${i.status} (version ${i.version})`,
    `created       ${isoSeconds(i.createdAt)} (${relativeTo(i.createdAt, now)})`,
    `last change   ${isoSeconds(i.updatedAt)} (${relativeTo(i.updatedAt, now)})`,
  ];
  if (i.data.reason !== undefined) lines.push(`reason        ${i.data.reason}`);
  if (i.data.error !== undefined) lines.push(`error         ${i.data.error}`);
  if (i.data.failed) lines.push(`failed        ${describeAction(i.data.failed)} (runs again on 'tandem sagas retry')`);
  lines.push('', 'state', indent(JSON.stringify(i.state ?? null, null, 2)));

  const pending = Object.entries(i.data.pending);
  lines.push('', `pending commands (${pending.length})`);
  for (const [commandId, p] of pending)
    lines.push(`  ${p.command}  ${commandId}${p.compensation ? '  compensation' : ''}`);

  const timeouts = Object.entries(i.data.timeouts).sort(([, a], [, b]) => a.dueAt - b.dueAt);
  lines.push('', `pending timeouts (${timeouts.length})`);
  for (const [name, t] of timeouts)
    lines.push(`  ${name}  due ${isoSeconds(t.dueAt)} (${relativeTo(t.dueAt, now)})${t.fired ? '  fired' : ''}`);

  // Kept oldest first; compensation takes them from the end, so print them in the order they would run.
  const queued = [...i.data.compensations].reverse();
  lines.push('', `compensations queued, in the order they run (${queued.length})`);
  queued.forEach((action, n) => lines.push(`  ${n + 1}. ${describeAction(action)}`));

  lines.push('', `history (${i.data.history.length}, oldest first)`);
  for (const h of i.data.history)
    lines.push(
      `  ${isoSeconds(h.at)}  ${h.input}  -> ${h.status}${h.note ? `  ${h.note}` : ''}${h.messageId ? `  [${h.messageId}]` : ''}`,
    );
  return lines.join('\n') + '\n';
}

const iso = (at: number | undefined) => (at === undefined ? undefined : new Date(at).toISOString());

/** One `list --json` line: the row without state and data, times in ISO 8601. */
export function instanceSummaryJson(i: SagaInstance): Record<string, unknown> {
  const timeout = nextTimeout(i);
  return {
    saga: i.saga,
    id: i.id,
    status: i.status,
    version: i.version,
    createdAt: iso(i.createdAt),
    updatedAt: iso(i.updatedAt),
    nextTimeout: timeout && { name: timeout.name, dueAt: iso(timeout.dueAt) },
    reason: i.data.reason,
    error: i.data.error,
  };
}

/** `show --json`: the whole instance, times in ISO 8601. */
export function instanceJson(i: SagaInstance): Record<string, unknown> {
  return {
    ...instanceSummaryJson(i),
    dueAt: iso(i.dueAt),
    state: i.state,
    failed: i.data.failed,
    pending: i.data.pending,
    timeouts: Object.fromEntries(
      Object.entries(i.data.timeouts).map(([name, t]) => [name, { ...t, dueAt: iso(t.dueAt) }]),
    ),
    compensations: i.data.compensations,
    history: i.data.history.map((h) => ({ ...h, at: iso(h.at) })),
  };
}
