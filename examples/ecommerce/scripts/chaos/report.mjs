// The table of a run: one row per metric, expected against observed, OK or FAIL.

export function table(rows) {
  const header = { metric: 'metric', expected: 'expected', observed: 'observed', verdict: '' };
  const lines = rows.map((r) => ({ ...r, verdict: r.ok ? 'OK' : 'FAIL' }));
  const width = (key) => Math.max(...[header, ...lines].map((l) => l[key].length));
  const [m, e, o] = ['metric', 'expected', 'observed'].map(width);
  const format = (l) =>
    `  ${l.metric.padEnd(m)}  ${l.expected.padStart(e)}  ${l.observed.padStart(o)}  ${l.verdict.padEnd(4)}${l.note ? `  ${l.note.slice(0, 200)}` : ''}`.trimEnd();
  return [format(header), `  ${'-'.repeat(m + e + o + 10)}`, ...lines.map(format)].join('\n');
}

export function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
