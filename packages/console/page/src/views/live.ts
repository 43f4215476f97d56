import { apiUrl } from '../api.js';
import { h } from '../dom.js';
import { time } from '../format.js';
import type { Activity } from '../types.js';
import type { View } from './view.js';

const KEEP = 200;

/** One line of what a record says; everything in it is shown as text. */
function summary(record: Activity): string {
  const f = (name: string) => (record[name] === undefined ? '' : String(record[name]));
  switch (record.kind) {
    case 'handler':
      return `${f('service')} ${f('handler')}${record.group ? ` [${f('group')}]` : ''} ${f('outcome')} in ${Number(record.durationMs ?? 0).toFixed(1)} ms${record.error ? `: ${f('error')}` : ''}`;
    case 'published':
      return `${f('service')} published ${f('type')} ${f('id')}`;
    case 'retry':
      return `${f('group')} retries ${f('type')} ${f('id')} (attempt ${f('attempt')}, ${f('retry')}, in ${f('delayMs')} ms)`;
    case 'dead-letter':
      return `${f('group')} dead-lettered ${f('type')} ${f('id')}: ${f('reason')}`;
    case 'breaker':
      return `breaker ${f('target')}: ${f('from')} → ${f('to')}`;
    default:
      return JSON.stringify(record);
  }
}

/** The app's activity as it happens (server-sent events, sampled under load). */
export const liveView: View = {
  id: 'live',
  title: 'Live',
  mount(root, context) {
    const list = h('ul', { id: 'live-list' });
    const counts = h('p', { class: 'note' }, 'waiting for activity…');
    root.replaceChildren(
      h('p', { class: 'note' }, 'A live view: what happens while this page is open, sampled under load.'),
      counts,
      list,
    );
    let shown = 0;
    let dropped = 0;
    const source = new EventSource(apiUrl('live'));
    source.addEventListener('activity', (event) => {
      const batch = JSON.parse((event as MessageEvent<string>).data) as { records: Activity[]; dropped: number };
      dropped += batch.dropped;
      for (const record of batch.records) {
        shown++;
        list.prepend(
          h(
            'li',
            { 'data-kind': record.kind },
            h('span', { class: 'muted' }, time(record.at), ' '),
            h('span', { class: 'kind' }, record.kind),
            summary(record),
          ),
        );
      }
      while (list.childElementCount > KEEP) list.lastElementChild?.remove();
      counts.textContent = `${shown} records shown, ${dropped} left out by sampling`;
    });
    source.addEventListener('open', () => {
      list.dataset.stream = 'open';
      context.report(undefined);
    });
    source.addEventListener('error', () => {
      list.dataset.stream = 'reconnecting';
      context.report(new Error('live stream interrupted; reconnecting'));
    });
    return () => source.close();
  },
};
