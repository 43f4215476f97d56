import { getJson, post } from '../api.js';
import { confirmAction } from '../confirm.js';
import { button, h, table } from '../dom.js';
import { time } from '../format.js';
import type { SagaDetail, Sagas, SagaStatus, SagaSummary } from '../types.js';
import { every, type View } from './view.js';

const STATUSES: readonly SagaStatus[] = ['running', 'compensating', 'parked', 'completed', 'compensated'];

function select(label: string, options: string[], value: string, change: (value: string) => void) {
  const element = h('select', { 'aria-label': label, name: label });
  element.append(h('option', { value: '' }, `every ${label}`), ...options.map((o) => h('option', { value: o }, o)));
  element.value = value;
  element.addEventListener('change', () => change(element.value));
  return element;
}

/** Instances per saga and status, by saga and status for each saga. */
function countsTable(counts: Sagas['counts']): HTMLElement {
  const sagas = [...new Set(counts.map((c) => c.saga))].sort();
  if (sagas.length === 0) return h('p', { class: 'note' }, 'no saga instances in the store');
  return table(
    ['saga', ...STATUSES.map((s): [string, 'num'] => [s, 'num'])],
    sagas.map((saga) =>
      h(
        'tr',
        { 'data-saga': saga },
        h('td', {}, saga),
        ...STATUSES.map((status) =>
          h(
            'td',
            { class: 'num', 'data-status': status },
            counts.find((c) => c.saga === saga && c.status === status)?.count ?? 0,
          ),
        ),
      ),
    ),
  );
}

/**
 * Saga instances: counts per saga and status, the latest changed instances (filtered by saga
 * and status), and one instance's state, pending commands, timeouts and history, with Retry
 * for a parked one after a confirmation (a POST with the CSRF token, api.ts).
 */
export const sagasView: View = {
  id: 'sagas',
  title: 'Sagas',
  mount(root, context) {
    const filter = { saga: '', status: '' };
    let chosen: { saga: string; id: string } | undefined;
    const outcome = h('p', { class: 'note', id: 'saga-outcome', role: 'status' });
    const summary = h('div', { id: 'saga-counts' });
    const filters = h('div', { class: 'filters' });
    const list = h('div', { id: 'saga-list' });
    const detail = h('div', { id: 'saga-detail' });
    root.replaceChildren(outcome, summary, h('h2', {}, 'Instances, latest change first'), filters, list, detail);
    // Redrawn only when something changed, so a button or a select is not replaced under the pointer.
    let drawn = '';
    const refresh = async () => {
      const query = new URLSearchParams({ limit: '100' });
      if (filter.saga) query.set('saga', filter.saga);
      if (filter.status) query.set('status', filter.status);
      const [answer, one] = await Promise.all([
        getJson<Sagas>(`sagas?${query.toString()}`),
        chosen
          ? getJson<SagaDetail>(`sagas/instance?${new URLSearchParams(chosen).toString()}`).catch(() => undefined)
          : undefined,
      ]);
      const state = JSON.stringify([answer, one, filter]);
      if (state === drawn) return;
      drawn = state;
      if (answer.sagas === 'none') {
        summary.replaceChildren(h('p', { class: 'note' }, "this app's store keeps no saga instances"));
        filters.replaceChildren();
        list.replaceChildren();
        detail.replaceChildren();
        return;
      }
      summary.replaceChildren(h('h2', {}, 'Instances per saga and status'), countsTable(answer.counts));
      const names = [...new Set(answer.counts.map((c) => c.saga))].sort();
      filters.replaceChildren(
        select('saga', names, filter.saga, (saga) => {
          filter.saga = saga;
          void refresh().catch(context.report);
        }),
        select('status', [...STATUSES], filter.status, (status) => {
          filter.status = status;
          void refresh().catch(context.report);
        }),
      );
      list.replaceChildren(
        answer.instances.length === 0
          ? h('p', { class: 'note' }, 'no instances match')
          : table(
              ['saga', 'id', 'status', 'last change', 'next timeout', 'reason / error'],
              answer.instances.map((i) => row(i)),
            ),
      );
      detail.replaceChildren(one ? instanceDetail(one, answer.canRetry) : '');
    };
    const open = (instance: SagaSummary) => {
      chosen = { saga: instance.saga, id: instance.id };
      void refresh().catch(context.report);
    };
    const row = (i: SagaSummary) => {
      const tr = h(
        'tr',
        {
          class: `clickable${chosen?.saga === i.saga && chosen.id === i.id ? ' selected' : ''}${i.status === 'parked' ? ' failing' : ''}`,
          'data-saga-id': i.id,
        },
        h('td', {}, i.saga),
        h('td', {}, i.id),
        h('td', {}, i.status),
        h('td', {}, time(i.updatedAt)),
        h('td', {}, i.nextTimeout ? `${i.nextTimeout.name} at ${time(i.nextTimeout.dueAt)}` : ''),
        h('td', {}, [i.reason, i.error].filter(Boolean).join(': ')),
      );
      tr.addEventListener('click', () => open(i));
      return tr;
    };
    const retry = async (one: SagaDetail) => {
      if (!(await confirmAction(`Retry saga ${one.saga} instance ${one.id}? Its failed compensation runs again.`)))
        return;
      try {
        const done = await post<SagaDetail>(`sagas/retry?${new URLSearchParams({ saga: one.saga, id: one.id })}`);
        outcome.textContent = `retried ${done.saga} ${done.id}: now ${done.status}`;
        await refresh();
      } catch (error) {
        context.report(error);
      }
    };
    const instanceDetail = (one: SagaDetail, canRetry: boolean) =>
      h(
        'section',
        { 'data-instance': `${one.saga}|${one.id}` },
        h('h2', {}, `${one.saga} ${one.id}: ${one.status}`),
        one.status === 'parked' &&
          (canRetry
            ? h(
                'p',
                {},
                button('Retry', () => void retry(one), { class: 'danger' }),
              )
            : h('p', { class: 'note' }, "the store has no outbox: a retry can't send its compensation")),
        (one.reason ?? one.error) !== null &&
          h('pre', { class: 'error-text' }, [one.reason, one.error].filter(Boolean).join('\n')),
        one.failed && h('p', {}, `failed compensation: ${one.failed.kind} ${one.failed.name}`),
        h('h3', {}, 'state'),
        h('pre', { class: 'saga-state' }, JSON.stringify(one.state, null, 2)),
        one.pending.length > 0 &&
          h(
            'p',
            {},
            `waiting for: ${one.pending.map((p) => p.command + (p.compensation ? ' (undo)' : '')).join(', ')}`,
          ),
        one.timeouts.length > 0 &&
          h(
            'p',
            {},
            `timeouts: ${one.timeouts.map((t) => `${t.name} ${time(t.dueAt)}${t.fired ? ' (fired)' : ''}`).join(', ')}`,
          ),
        one.compensations.length > 0 &&
          h('p', {}, `undo queued: ${one.compensations.map((c) => `${c.kind} ${c.name}`).join(', ')}`),
        h('h3', {}, 'history'),
        table(
          ['at', 'input', 'status', 'note'],
          one.history.map((entry) =>
            h(
              'tr',
              { class: 'saga-step' },
              h('td', {}, time(entry.at)),
              h('td', {}, entry.input),
              h('td', {}, entry.status),
              h('td', {}, entry.note ?? ''),
            ),
          ),
        ),
      );
    return every(3_000, refresh, context);
  },
};
