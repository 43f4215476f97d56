import { getJson } from '../api.js';
import { h } from '../dom.js';
import { lineChart } from '../line-chart.js';
import type { History } from '../types.js';
import type { ViewContext } from './view.js';

const span = (ms: number) =>
  ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : ms >= 1_000 ? `${Math.round(ms / 1_000)} s` : `${ms} ms`;

/**
 * Lag per consumer group and the outbox's waiting and parked records over the last minutes,
 * from `GET history`, polled at the server's sampling interval. The server samples from the
 * first look on, so the charts start when the page first asks.
 */
export function historyCharts(context: ViewContext): { element: HTMLElement; stop(): void } {
  const lag = lineChart('lag', 'waiting');
  const outbox = lineChart('outbox', 'records');
  const lagNote = h('p', { class: 'note', id: 'lag-history-note' });
  const outboxNote = h('p', { class: 'note', id: 'outbox-history-note' });
  const since = h('p', { class: 'note', id: 'history-since' });
  const element = h(
    'section',
    { id: 'history' },
    h('h2', {}, 'Consumer lag over time'),
    since,
    lagNote,
    lag.element,
    h('h2', {}, 'Outbox over time'),
    outboxNote,
    outbox.element,
  );
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const draw = (history: History) => {
    since.textContent = `a sample every ${span(history.intervalMs)}, the last ${span(history.intervalMs * history.capacity)} kept; sampling since the first look, ${span(history.watchedForMs)} ago`;
    lagNote.textContent = !history.lagCounted
      ? 'this broker does not count waiting messages: lag is unknown'
      : history.groupsLeftOut > 0
        ? `the first ${history.lag.length} groups; ${history.groupsLeftOut} more not charted`
        : '';
    lag.element.hidden = !history.lagCounted;
    if (history.lagCounted)
      lag.update(
        history.at,
        history.lag.map((g) => ({ label: g.group, values: g.waiting })),
      );
    outboxNote.textContent = history.outboxCounted ? '' : 'no outbox with operator access in this app';
    outbox.element.hidden = !history.outboxCounted;
    if (history.outboxCounted)
      outbox.update(history.at, [
        { label: 'waiting', values: history.outbox.waiting },
        { label: 'parked', values: history.outbox.parked },
      ]);
  };

  const run = async () => {
    let wait = 5_000;
    try {
      const history = await getJson<History>('history');
      draw(history);
      wait = Math.max(1_000, history.intervalMs);
    } catch (error) {
      context.report(error);
    }
    if (!stopped) timer = setTimeout(() => void run(), wait);
  };
  void run();
  return {
    element,
    stop() {
      stopped = true;
      clearTimeout(timer);
      lag.destroy();
      outbox.destroy();
    },
  };
}
