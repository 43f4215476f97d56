import { getJson, post } from '../api.js';
import { confirmAction } from '../confirm.js';
import { button, h, table } from '../dom.js';
import { payload, time } from '../format.js';
import type { DeadLetter, DeadLetters } from '../types.js';
import { every, type View } from './view.js';

/** The trace a dead letter's run belongs to, from its W3C traceparent header (CloudEvents' ce-traceparent). */
function traceLink(letter: DeadLetter): HTMLElement | false {
  const parent = letter.headers['ce-traceparent'] ?? letter.headers['traceparent'];
  const traceId = /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(parent ?? '')?.[1];
  return (
    traceId !== undefined && h('p', {}, h('a', { href: `#traces/${traceId}`, class: 'trace-link' }, 'open its trace'))
  );
}

/**
 * Dead letters per consumer group: inspect a payload and its error (as text), replay it or
 * discard it after a confirmation; the POSTs carry the CSRF token (api.ts).
 */
export const deadLettersView: View = {
  id: 'dead-letters',
  title: 'Dead letters',
  mount(root, context) {
    const open = new Set<string>();
    const outcome = h('p', { class: 'note', id: 'dead-letter-outcome', role: 'status' });
    const list = h('div');
    root.replaceChildren(outcome, list);
    // Redrawn only when something changed, so a button is not replaced under the pointer.
    let drawn = '';
    const refresh = async () => {
      const answer = await getJson<DeadLetters>('dead-letters');
      const state = JSON.stringify([answer, [...open]]);
      if (state === drawn) return;
      drawn = state;
      list.replaceChildren(...answer.groups.map((group) => groupSection(group, answer.canDiscard)));
    };
    const change = async (action: 'replay' | 'discard', group: string, letter: DeadLetter) => {
      const question =
        action === 'replay'
          ? `Replay ${letter.topic} ${letter.id} to group ${group}?`
          : `Discard ${letter.topic} ${letter.id} of group ${group}? It cannot be replayed afterwards.`;
      if (!(await confirmAction(question))) return;
      try {
        const done = await post<{ replayed?: number; discarded?: number; of: number }>(
          `dead-letters/${action}?group=${encodeURIComponent(group)}&id=${encodeURIComponent(letter.id)}`,
        );
        outcome.textContent = `${action === 'replay' ? 'replayed' : 'discarded'} ${done.replayed ?? done.discarded ?? 0} of ${done.of} (${letter.id})`;
        await refresh();
      } catch (error) {
        context.report(error);
      }
    };
    const groupSection = (group: DeadLetters['groups'][number], canDiscard: boolean) =>
      h(
        'section',
        { 'data-group': group.group },
        h('h2', {}, `${group.group} (${group.deadLetters.length})`),
        group.deadLetters.length === 0
          ? h('p', { class: 'note' }, 'no dead letters')
          : table(
              ['id', 'type', 'reason', ['attempts', 'num'], 'dead-lettered', ''],
              group.deadLetters.flatMap((letter) => rows(group.group, letter, canDiscard)),
            ),
      );
    const rows = (group: string, letter: DeadLetter, canDiscard: boolean): HTMLTableRowElement[] => {
      const key = `${group}|${letter.id}`;
      const toggle = () => {
        if (open.has(key)) open.delete(key);
        else open.add(key);
        void refresh().catch((error: unknown) => context.report(error));
      };
      const main = h(
        'tr',
        { 'data-id': letter.id },
        h('td', {}, letter.id),
        h('td', {}, letter.topic),
        h('td', {}, letter.reason),
        h('td', { class: 'num' }, letter.attempts),
        h('td', {}, time(letter.deadLetteredAt)),
        h(
          'td',
          { class: 'actions' },
          button(open.has(key) ? 'Hide' : 'Inspect', toggle),
          button('Replay', () => void change('replay', group, letter)),
          canDiscard && button('Discard', () => void change('discard', group, letter), { class: 'danger' }),
        ),
      );
      if (!open.has(key)) return [main];
      const details = h(
        'tr',
        { class: 'details', 'data-details': letter.id },
        h(
          'td',
          { colspan: 6 },
          h('h3', {}, 'error'),
          h('pre', { class: 'error-text' }, letter.error ?? '(none)'),
          h('h3', {}, 'payload'),
          h('pre', { class: 'payload' }, payload(letter.body)),
          traceLink(letter),
          h('h3', {}, 'headers'),
          h('pre', { class: 'headers' }, JSON.stringify(letter.headers, null, 2)),
        ),
      );
      return [main, details];
    };
    return every(3_000, refresh, context);
  },
};
