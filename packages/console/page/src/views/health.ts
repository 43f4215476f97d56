import { getJson } from '../api.js';
import { h, table } from '../dom.js';
import { time } from '../format.js';
import { historyCharts } from './history-charts.js';
import { every, type View } from './view.js';

interface Breakers {
  breakers: Array<{ target: string; state: string; ok: boolean }>;
}
interface Lag {
  broker: string;
  groups: Array<{ group: string; waiting: number | 'unknown' }>;
}
interface Outbox {
  outbox: 'available' | 'none' | 'unknown';
  backlog: { waiting: number; parked: number } | null;
  parked: Array<{ seq: string | number; topic: string; lastError?: string; parkedAt?: string }>;
}

/**
 * Circuit breakers, consumer lag per group and the outbox's backlog and parked records now,
 * and lag and outbox backlog over the last minutes as charts (kept across refreshes).
 */
export const healthView: View = {
  id: 'health',
  title: 'Breakers & health',
  mount(root, context) {
    const now = h('div', { id: 'health-now' });
    const charts = historyCharts(context);
    root.replaceChildren(now, charts.element);
    const stop = every(
      3_000,
      async () => {
        const [breakers, lag, outbox] = await Promise.all([
          getJson<Breakers>('breakers'),
          getJson<Lag>('lag'),
          getJson<Outbox>('outbox'),
        ]);
        now.replaceChildren(
          h('h2', {}, 'Circuit breakers'),
          breakers.breakers.length === 0
            ? h('p', { class: 'note' }, 'no breakers (no HTTP calls to other services)')
            : table(
                ['target', 'state', 'healthy'],
                breakers.breakers.map((b) =>
                  h(
                    'tr',
                    { class: b.ok ? undefined : 'failing', 'data-breaker': b.target },
                    h('td', {}, b.target),
                    h('td', {}, b.state),
                    h('td', {}, b.ok ? 'yes' : 'no'),
                  ),
                ),
              ),
          h('h2', {}, `Consumer lag (${lag.broker})`),
          table(
            ['group', ['waiting', 'num']],
            lag.groups.map((g) =>
              h('tr', { 'data-group': g.group }, h('td', {}, g.group), h('td', { class: 'num' }, g.waiting)),
            ),
          ),
          h('h2', {}, 'Outbox'),
          outbox.outbox !== 'available' || !outbox.backlog
            ? h('p', { class: 'note' }, outbox.outbox === 'none' ? 'no outbox' : 'the outbox gives no operator access')
            : h(
                'div',
                {},
                h('p', {}, `${outbox.backlog.waiting} waiting, ${outbox.backlog.parked} parked`),
                outbox.parked.length === 0
                  ? false
                  : table(
                      ['seq', 'topic', 'parked', 'last error'],
                      outbox.parked.map((p) =>
                        h(
                          'tr',
                          {},
                          h('td', {}, String(p.seq)),
                          h('td', {}, p.topic),
                          h('td', {}, time(p.parkedAt)),
                          h('td', {}, p.lastError ?? ''),
                        ),
                      ),
                    ),
              ),
        );
      },
      context,
    );
    return () => {
      stop();
      charts.stop();
    };
  },
};
