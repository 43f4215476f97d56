import { getJson } from '../api.js';
import { h, s, table } from '../dom.js';
import { ms, time } from '../format.js';
import type { Model, Span, TraceSummary } from '../types.js';
import { every, type View } from './view.js';

const ROW = 22;
const LABEL_WIDTH = 360;
const BAR_WIDTH = 560;

/**
 * The service a span ran in: the resource's service.name tells one process, not which of its
 * services; a delivery names its consumer group and a request its route, which the model
 * maps to services, and a span without either runs in its parent's service.
 */
function servicesOf(spans: Span[], model: Model): Map<string, string> {
  const groupService = new Map(model.groups.map((g) => [g.group, g.service]));
  const routeService = new Map<string, string>();
  for (const op of model.sync) {
    const path = op.route?.path ?? `/${op.kind === 'query' ? 'queries' : 'commands'}/${op.name}`;
    routeService.set(`${op.route?.method ?? (op.kind === 'query' ? 'GET' : 'POST')} ${path}`, op.service);
  }
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const found = new Map<string, string>();
  const resolve = (span: Span, depth = 0): string => {
    const known = found.get(span.spanId);
    if (known !== undefined) return known;
    const group = span.attributes['messaging.consumer.group.name'];
    const parent = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId);
    const service =
      (typeof group === 'string' ? groupService.get(group) : undefined) ??
      routeService.get(span.name) ??
      (parent && depth < spans.length ? resolve(parent, depth + 1) : undefined) ??
      span.service ??
      '';
    found.set(span.spanId, service);
    return service;
  };
  for (const span of spans) resolve(span);
  return found;
}

/** One trace's spans as a waterfall: a bar per span on the trace's time axis, nested by parent. */
function waterfall(spans: Span[], model: Model): SVGSVGElement {
  const start = Math.min(...spans.map((span) => span.startMs));
  const end = Math.max(...spans.map((span) => span.startMs + span.durationMs));
  const total = Math.max(end - start, 0.001);
  const services = servicesOf(spans, model);
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const depth = (span: Span): number => {
    let n = 0;
    for (let p = span.parentSpanId; p !== undefined && byId.has(p) && n < spans.length; p = byId.get(p)!.parentSpanId)
      n++;
    return n;
  };
  const width = LABEL_WIDTH + BAR_WIDTH + 80;
  const rows = spans.map((span, i) => {
    const y = i * ROW;
    const x = LABEL_WIDTH + ((span.startMs - start) / total) * BAR_WIDTH;
    const barWidth = Math.max(1, (span.durationMs / total) * BAR_WIDTH);
    return s(
      'g',
      { class: 'span', 'data-span': span.name, 'data-service': services.get(span.spanId) ?? '' },
      s('title', {}, `${span.name} (${span.kind})${span.statusMessage ? `: ${span.statusMessage}` : ''}`),
      s('text', { x: 4 + depth(span) * 12, y: y + 15, class: 'label' }, span.name),
      s(
        'text',
        { x: LABEL_WIDTH - 8, y: y + 15, 'text-anchor': 'end', class: 'label muted' },
        services.get(span.spanId) ?? '',
      ),
      s('rect', { x, y: y + 4, width: barWidth, height: ROW - 8, class: span.error ? 'bar error' : 'bar' }),
      s('text', { x: Math.min(x + barWidth + 4, width - 60), y: y + 15, class: 'label muted' }, ms(span.durationMs)),
    );
  });
  return s(
    'svg',
    { class: 'waterfall', width, height: spans.length * ROW + 4, viewBox: `0 0 ${width} ${spans.length * ROW + 4}` },
    ...rows,
  );
}

/** Recent traces from the span ring; one chosen shows as a waterfall. */
export const tracesView: View = {
  id: 'traces',
  title: 'Traces',
  mount(root, context, param) {
    let model: Model | undefined;
    let chosen: string | undefined;
    const list = h('div');
    const detail = h('div', { id: 'trace-detail' });
    root.replaceChildren(list, detail);
    const show = async (traceId: string) => {
      chosen = traceId;
      model ??= await getJson<Model>('model');
      const answer = await getJson<{ traceId: string; spans: Span[] }>(`traces/${encodeURIComponent(traceId)}`);
      detail.replaceChildren(
        h('h2', {}, `trace ${answer.traceId}`),
        h('p', { class: 'note' }, `${answer.spans.length} spans`),
        waterfall(answer.spans, model),
      );
    };
    if (param !== undefined) void show(param).catch((error: unknown) => context.report(error));
    return every(
      3_000,
      async () => {
        const answer = await getJson<{ recording: boolean; traces: TraceSummary[] }>('traces?limit=50');
        if (!answer.recording) {
          list.replaceChildren(
            h('p', { class: 'note' }, 'No span ring: pass consoleApi({ spans }) a SpanRing on the tracer provider.'),
          );
          return;
        }
        const rows = answer.traces.map((t) => {
          const row = h(
            'tr',
            { class: `clickable${t.traceId === chosen ? ' selected' : ''}`, 'data-trace': t.traceId },
            h('td', {}, time(t.startMs)),
            h('td', {}, t.name),
            h('td', {}, t.services.join(', ')),
            h('td', { class: 'num' }, t.spans),
            h('td', { class: 'num' }, ms(t.durationMs)),
            h('td', {}, t.error ? 'error' : ''),
          );
          row.addEventListener('click', () => void show(t.traceId).catch((error: unknown) => context.report(error)));
          return row;
        });
        list.replaceChildren(
          table(['started', 'root span', 'processes', ['spans', 'num'], ['duration', 'num'], ''], rows),
        );
      },
      context,
    );
  },
};
