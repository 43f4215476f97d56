/** The stepped search's report as text: both curves, then where the time and the CPU go at the sustainable rate. */
import type { Breakdown } from './breakdown.js';
import type { StepResult, SteppedReport } from './stepped.js';

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 1 : 0) : '-');

/** `align`: one letter per column, `r` for right (numbers), anything else for left. */
function table(header: string[], rows: string[][], align: string): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function curves(steps: StepResult[]): string {
  const sorted = [...steps].sort((a, b) => a.rate - b.rate);
  return table(
    ['orders/s', 'verdict', 'why', 'place p50', 'p99', 'shipped p50', 'p99', 'accepted', 'send lag p99'],
    sorted.map((s) => [
      String(s.rate),
      s.passed ? 'pass' : 'fail',
      s.reasons.join(', '),
      ms(s.place.p50),
      ms(s.place.p99),
      ms(s.shipped.p50),
      ms(s.shipped.p99),
      `${s.accepted}/${s.due}`,
      ms(s.sendLag.p99),
    ]),
    'rllrrrrrr',
  );
}

function breakdownTable(breakdown: Breakdown): string {
  return table(
    ['ms/order', 'phase', 'process', 'kind', 'step', 'p99'],
    breakdown.rows
      .filter((r) => r.meanMs >= 0.05)
      .map((r) => [ms(r.meanMs), r.phase, r.process, r.kind, r.step, ms(r.p99Ms)]),
    'rllllr',
  );
}

function cpuTable(step: StepResult): string {
  return table(
    ['CPU %', 'idle %', 'process', 'ms/order above idle'],
    [...step.cpu]
      .sort((a, b) => b.percent - a.percent)
      .map((c) => [c.percent.toFixed(0), c.idlePercent.toFixed(0), c.process, c.msPerOrder.toFixed(2)]),
    'rrlr',
  );
}

function pgTable(step: StepResult): string {
  return table(
    ['backends', 'process', 'state', 'query'],
    (step.pgActivity?.rows ?? [])
      .filter((r) => r.backends >= 0.05)
      .slice(0, 14)
      .map((r) => [r.backends.toFixed(2), r.process, r.state, r.query]),
    'rlll',
  );
}

export function renderStepped(report: SteppedReport): string {
  const steps = report.steps;
  const at = steps.find((s) => s.passed && s.rate === report.sustainableRate);
  const firstFail = [...steps].filter((s) => !s.passed).sort((a, b) => a.rate - b.rate)[0];
  const out = [
    `shop: ${report.target}`,
    `bounds: orders.place p99 < ${report.bounds.placeP99Ms} ms, accepted -> shipped p99 < ${report.bounds.shippedP99Ms} ms; ${report.stepSeconds} s per step (longer where needed for ${report.minOrders} orders)`,
    `load average: ${report.loadAverage.start.map((v) => v.toFixed(2)).join(' ')} at the start, ${report.loadAverage.end.map((v) => v.toFixed(2)).join(' ')} at the end`,
    '',
    curves(steps),
    '',
    report.sustainableRate === undefined
      ? 'sustainable rate: none of the steps passed'
      : `sustainable rate: ${report.sustainableRate} orders/s${report.reachedMax ? ' (the maximum asked; it may sustain more)' : ''}`,
  ];
  for (const [title, step] of [
    ['at the sustainable rate', at],
    ['at the first failing rate', firstFail],
  ] as const) {
    if (!step) continue;
    out.push(
      '',
      `where the time goes ${title} (${step.rate}/s), from ${step.breakdown.complete} of ${step.breakdown.sampled} sampled orders' traces:`,
      breakdownTable(step.breakdown),
      '',
      `CPU ${title} (${step.rate}/s), first arrival to last order shipped:`,
      cpuTable(step),
    );
    if (step.pgActivity)
      out.push(
        '',
        `PostgreSQL backends of the run database ${title} (mean number in each state, not idle):`,
        pgTable(step),
        `most connections busy at once: ${Object.entries(step.pgActivity.peakBusy)
          .map(([p, n]) => `${p} ${n}`)
          .join(', ')}`,
      );
  }
  if (report.deadLetters)
    out.push(
      '',
      `dead letters: ${Object.entries(report.deadLetters)
        .map(([g, n]) => `${g} ${n}`)
        .join(', ')}`,
    );
  return out.join('\n');
}
