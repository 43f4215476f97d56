/**
 * A time-series line chart drawn by uPlot (a canvas, no markup from the data: labels go in
 * as text), with the latest value of each series written under it as text.
 */
import uPlot from 'uplot';
import { h } from './dom.js';

export interface Series {
  label: string;
  values: Array<number | null>;
}

const COLOURS = ['#2f6fde', '#c8372d', '#2c8a4b', '#b8860b', '#8e44ad', '#16a085', '#d35400', '#7f8c8d'];

/** A chart in `element`; `update` redraws it, and builds it anew when the series' labels change. */
export interface LineChart {
  readonly element: HTMLElement;
  update(atMs: number[], series: Series[]): void;
  destroy(): void;
}

export function lineChart(name: string, unit: string): LineChart {
  const canvas = h('div', { class: 'chart-canvas' });
  const latest = h('p', { class: 'chart-latest note' });
  const element = h('figure', { class: 'chart', 'data-chart': name }, canvas, latest);
  let plot: uPlot | undefined;
  let labels = '';

  const build = (series: Series[]): uPlot => {
    const width = Math.max(320, Math.min(1200, (element.parentElement?.clientWidth ?? 800) - 16));
    return new uPlot(
      {
        width,
        height: 200,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } },
        axes: [{}, { label: unit, size: 60 }],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLOURS[i % COLOURS.length]!,
            width: 1.5,
            spanGaps: false,
          })),
        ],
        legend: { show: true },
      },
      [[], ...series.map(() => [])],
      canvas,
    );
  };

  return {
    element,
    update(atMs, series) {
      const now = JSON.stringify(series.map((s) => s.label));
      if (!plot || now !== labels) {
        plot?.destroy();
        plot = build(series);
        labels = now;
      }
      // uPlot's time scale is in seconds.
      plot.setData([atMs.map((at) => at / 1000), ...series.map((s) => s.values)]);
      element.dataset.points = String(atMs.length);
      latest.replaceChildren(
        ...series.map((s) => {
          const value = s.values.at(-1);
          return h(
            'span',
            { class: 'chart-value', 'data-series': s.label },
            `${s.label}: ${value === undefined || value === null ? '–' : value}`,
          );
        }),
      );
    },
    destroy() {
      plot?.destroy();
      plot = undefined;
    },
  };
}
