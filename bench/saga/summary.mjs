// Medians and ratios of bench/saga's rounds, and the rows each flow writes per table.
import { fixed, median } from '../lib/stats.mjs';

const MEASURES = [
  'stepsPerSecond',
  'p50',
  'p99',
  'flowP50',
  'flowP99',
  'cpuMicrosPerStep',
  'rowsPerStep',
  'statementsPerStep',
  'bytesToPgPerStep',
];

/** results: { saga: Round[], plain: Round[] }, rounds paired by index (the same round of the run). */
export function summarise(results) {
  const m = {};
  for (const name of ['saga', 'plain'])
    m[name] = Object.fromEntries(MEASURES.map((k) => [k, median(results[name].map((r) => r[k]))]));
  // Ratios of the rounds that ran side by side, then their median: the host's drift cancels.
  const ratio = Object.fromEntries(
    MEASURES.map((k) => [k, median(results.saga.map((r, i) => r[k] / results.plain[i]?.[k]))]),
  );
  for (const name of ['saga', 'plain'])
    m[name].stepP50 = [0, 1, 2].map((i) => median(results[name].map((r) => r.stepP50[i])));
  const extraRowsPerStep = median(results.saga.map((r, i) => r.rowsPerStep - results.plain[i]?.rowsPerStep));
  return { m, ratio, extraRowsPerStep, holds: extraRowsPerStep <= 1 };
}

/** Table rows: each table's inserts and updates per instance in each flow, medians of the rounds. */
export function perInstanceByTable(results) {
  const tables = new Set();
  for (const r of [...results.saga, ...results.plain]) for (const t of Object.keys(r.rows ?? {})) tables.add(t);
  const cell = (rounds, t, kind) => median(rounds.map((r) => (r.rows?.[t]?.[kind] ?? 0) / r.instances));
  const rows = [['table', 'saga ins', 'saga upd', 'plain ins', 'plain upd', 'saga - plain']];
  let totals = [0, 0, 0, 0];
  for (const t of [...tables].sort()) {
    const v = [
      cell(results.saga, t, 'ins'),
      cell(results.saga, t, 'upd'),
      cell(results.plain, t, 'ins'),
      cell(results.plain, t, 'upd'),
    ];
    totals = totals.map((x, i) => x + v[i]);
    rows.push([t, ...v.map((x) => fixed(x, 2)), fixed(v[0] + v[1] - v[2] - v[3], 2)]);
  }
  rows.push(['all', ...totals.map((x) => fixed(x, 2)), fixed(totals[0] + totals[1] - totals[2] - totals[3], 2)]);
  return rows;
}
