// A plain SVG bar chart of the comparison table: one group per workload, one bar per
// implementation, throughput relative to the raw client of that workload (1.0 = raw).
const COLORS = { raw: '#8c8c8c', floor: '#bdbdbd', tandem: '#1f6feb', peer: '#e8912d' };
const PEER_SHADES = ['#e8912d', '#c2571a', '#b8860b', '#8a4f9e'];

function escape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** groups: [{ title, unit, rows: [{ name, role, rate }] }] -> SVG text. */
export function barChart(groups, { title = 'Throughput relative to the raw client (1.0 = raw)' } = {}) {
  const width = 820;
  const labelWidth = 150;
  const barArea = width - labelWidth - 190;
  const barHeight = 18;
  const gap = 6;
  const max = Math.max(1, ...groups.flatMap((g) => g.rows.map((r) => r.rate / rawRate(g))));
  const parts = [];
  let y = 40;
  for (const group of groups) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escape(group.title)}</text>`);
    y += 10;
    let peer = 0;
    for (const row of group.rows) {
      const ratio = row.rate / rawRate(group);
      const length = Math.max(1, (ratio / max) * barArea);
      const color = row.role === 'peer' ? PEER_SHADES[peer++ % PEER_SHADES.length] : COLORS[row.role];
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight - 5}" text-anchor="end">${escape(row.name)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${color}"/>`,
        `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + barHeight - 5}">${ratio.toFixed(2)}× (${Math.round(row.rate).toLocaleString('en-US')} ${escape(group.unit)})</text>`,
      );
      y += barHeight + gap;
    }
    y += 18;
  }
  const rawX = labelWidth + barArea / max;
  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
    `<line x1="${rawX.toFixed(1)}" y1="28" x2="${rawX.toFixed(1)}" y2="${height - 10}" stroke="#444" stroke-dasharray="4 3"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function rawRate(group) {
  return group.rows.find((r) => r.role === 'raw')?.rate ?? 1;
}
