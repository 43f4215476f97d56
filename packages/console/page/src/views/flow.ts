import { getJson } from '../api.js';
import { h, s } from '../dom.js';
import { rate } from '../format.js';
import type { EdgeRates, Model, Stats } from '../types.js';
import { eventId, groupId, layoutFlow, serviceId, type FlowLayout, type FlowLink } from './flow-graph.js';
import { every, type View } from './view.js';

/** The live rate on each edge of the graph, by link id: publishes per service and type, deliveries per group. */
function ratesOf(edges: EdgeRates): Map<string, { rate: number; failures: number }> {
  const rates = new Map<string, { rate: number; failures: number }>();
  for (const p of edges.published)
    rates.set(`publishes|${serviceId(p.service)}|${eventId(p.type)}`, { rate: p.ratePerSec, failures: 0 });
  for (const d of edges.delivered)
    rates.set(`delivers|${eventId(d.type)}|${groupId(d.group)}`, { rate: d.ratePerSec, failures: d.failuresPerSec });
  return rates;
}

function path(link: FlowLink): string {
  return link.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

/** Draws the laid-out graph once; the edges' rate labels are updated in place afterwards. */
function draw(layout: FlowLayout): {
  svg: SVGSVGElement;
  labels: Map<string, SVGTextElement>;
  edges: Map<string, SVGGElement>;
} {
  const labels = new Map<string, SVGTextElement>();
  const edges = new Map<string, SVGGElement>();
  const marker = s(
    'defs',
    {},
    s(
      'marker',
      {
        id: 'arrow',
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
      },
      s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }),
    ),
  );
  const linkElements = layout.links.map((link) => {
    const label = link.label ? s('text', { x: link.label.x, y: link.label.y + 4, 'text-anchor': 'middle' }) : undefined;
    if (label) labels.set(link.id, label);
    const element = s(
      'g',
      { class: `edge ${link.kind}${link.cycle ? ' cycle' : ''}`, 'data-edge': link.id },
      s('path', { d: path(link), 'marker-end': 'url(#arrow)' }),
      label,
    );
    edges.set(link.id, element);
    return element;
  });
  const nodeElements = layout.nodes.map((node) =>
    s(
      'g',
      { class: `node ${node.kind}`, 'data-node': node.id },
      s('rect', { x: node.x - node.width / 2, y: node.y - node.height / 2, width: node.width, height: node.height }),
      s('text', { x: node.x, y: node.y + 4, 'text-anchor': 'middle' }, node.label),
    ),
  );
  const svg = s(
    'svg',
    { class: 'flow', width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}` },
    marker,
    ...linkElements,
    ...nodeElements,
  );
  return { svg, labels, edges };
}

/** The event-flow graph (services, event types, consumer groups) with live rates on its edges and cycles flagged. */
export const flowView: View = {
  id: 'flow',
  title: 'Event flow',
  mount(root, context) {
    let drawn: ReturnType<typeof draw> | undefined;
    let links: FlowLink[] = [];
    return every(
      2_000,
      async () => {
        if (!drawn) {
          const model = await getJson<Model>('model');
          const layout = layoutFlow(model);
          links = layout.links;
          drawn = draw(layout);
          const cycles = model.flow.cycles.map((cycle) =>
            h('li', { class: 'cycle-warning' }, `event cycle between services: ${cycle.join(' → ')}`),
          );
          root.replaceChildren(
            h(
              'p',
              { class: 'note' },
              'Services publish event types, delivered to consumer groups that run in services; rates are per second over the last 10 s.',
            ),
            cycles.length > 0 ? h('ul', { id: 'cycles' }, ...cycles) : h('p', { class: 'note' }, 'No event cycles.'),
            drawn.svg,
          );
        }
        const stats = await getJson<Stats>('stats');
        const rates = ratesOf(stats.edges);
        for (const link of links) {
          const label = drawn.labels.get(link.id);
          const edge = drawn.edges.get(link.id);
          const seen = rates.get(link.id);
          if (label)
            label.textContent = seen
              ? `${rate(seen.rate)}/s${seen.failures > 0 ? ` ✗${rate(seen.failures)}` : ''}`
              : '';
          edge?.classList.toggle('active', (seen?.rate ?? 0) > 0);
          edge?.classList.toggle('failing', (seen?.failures ?? 0) > 0);
        }
      },
      context,
    );
  },
};
