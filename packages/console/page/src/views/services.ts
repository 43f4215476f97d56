import { getJson } from '../api.js';
import { h, table } from '../dom.js';
import { ms, rate } from '../format.js';
import type { HandlerStats, Model, Stats } from '../types.js';
import { every, type View } from './view.js';

const keyOf = (service: string, handler: string, group: string | undefined) => `${service}|${handler}|${group ?? ''}`;

/** Each service's handlers with their rate, errors and p50/p99 over the statistics' window. */
export const servicesView: View = {
  id: 'services',
  title: 'Services',
  mount(root, context) {
    let model: Model | undefined;
    return every(
      2_000,
      async () => {
        model ??= await getJson<Model>('model');
        const stats = await getJson<Stats>('stats');
        const byKey = new Map(stats.handlers.map((s) => [keyOf(s.service, s.handler, s.group), s]));
        const sections = model.services.map((service) => {
          const rows = model!.handlers
            .filter((handler) => handler.service === service)
            .map((handler) => row(handler, byKey.get(keyOf(service, handler.name, handler.group))));
          return h(
            'section',
            { 'data-service': service },
            h('h2', {}, service),
            table(
              [
                'handler',
                'kind',
                'group',
                ['runs', 'num'],
                ['rate/s', 'num'],
                ['errors/s', 'num'],
                ['p50', 'num'],
                ['p99', 'num'],
              ],
              rows,
            ),
          );
        });
        const windowS = Math.round(Math.min(stats.windowMs, stats.watchedForMs) / 1000);
        root.replaceChildren(
          h(
            'p',
            { class: 'note' },
            `broker ${model.broker}, store ${model.store ?? 'none'}; over the last ${windowS} s`,
          ),
          ...sections,
        );
      },
      context,
    );
  },
};

function row(handler: Model['handlers'][number], stats: HandlerStats | undefined): HTMLTableRowElement {
  const failing = (stats?.errorsPerSec ?? 0) > 0;
  return h(
    'tr',
    { class: failing ? 'failing' : undefined, 'data-handler': handler.name },
    h('td', {}, handler.name),
    h('td', {}, handler.kind),
    h('td', {}, handler.group ?? ''),
    h('td', { class: 'num' }, stats?.runs ?? 0),
    h('td', { class: 'num' }, rate(stats?.ratePerSec)),
    h('td', { class: 'num' }, rate(stats?.errorsPerSec)),
    h('td', { class: 'num' }, ms(stats?.p50Ms)),
    h('td', { class: 'num' }, ms(stats?.p99Ms)),
  );
}
