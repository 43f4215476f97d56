import { h } from './dom.js';
import { deadLettersView } from './views/dead-letters.js';
import { flowView } from './views/flow.js';
import { healthView } from './views/health.js';
import { liveView } from './views/live.js';
import { sagasView } from './views/sagas.js';
import { servicesView } from './views/services.js';
import { tracesView } from './views/traces.js';
import type { View, ViewContext } from './views/view.js';

const views: View[] = [servicesView, flowView, liveView, deadLettersView, sagasView, tracesView, healthView];
const nav = document.getElementById('nav')!;
const main = document.getElementById('view')!;
const status = document.getElementById('status')!;

const context: ViewContext = {
  report(error) {
    status.textContent = error === undefined ? '' : error instanceof Error ? error.message : String(error);
  },
};

for (const view of views) nav.append(h('a', { href: `#${view.id}`, 'data-view': view.id }, view.title));

let stop: (() => void) | undefined;
function route(): void {
  const [id, ...rest] = location.hash.slice(1).split('/');
  const view = views.find((v) => v.id === id) ?? views[0]!;
  for (const link of nav.querySelectorAll('a')) link.classList.toggle('current', link.dataset.view === view.id);
  stop?.();
  context.report(undefined);
  main.replaceChildren();
  main.dataset.view = view.id;
  stop = view.mount(main, context, rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined);
}
window.addEventListener('hashchange', route);
route();
