// Where a process's CPU went, from a .cpuprofile written by node --cpu-prof: self time by
// file (node_modules packages folded to their name) and the top functions.
//
//   node bench/report/profile-summary.mjs <file.cpuprofile> [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fixed, table } from '../lib/stats.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const top = Number(values.top);

const selfMicros = new Map();
profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

function where(url) {
  if (!url) return '(native/idle)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const tandem = /packages\/([^/]+)\/(?:dist|src)\/(.+)$/.exec(url);
  if (tandem) return `@tandem/${tandem[1]}/${tandem[2]}`;
  return url.replace(/^file:\/\//, '').replace(/^.*\/bench\//, 'bench/');
}

const byFile = new Map();
const byFunction = new Map();
let total = 0;
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  if (!micros) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const file = where(url);
  const label = ['(idle)', '(program)', '(garbage collector)'].includes(functionName) ? functionName : file;
  total += micros;
  byFile.set(label, (byFile.get(label) ?? 0) + micros);
  const fn = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
}
const busy = total - (byFile.get('(idle)') ?? 0);
const rows = (map) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, micros]) => [name, fixed(micros / 1000, 1), `${fixed((micros / busy) * 100, 1)}%`]);
console.log(`${positionals[0]}: ${fixed(total / 1000)} ms sampled, ${fixed(busy / 1000)} ms not idle\n`);
console.log(table([['self time by file or package', 'ms', '% of busy'], ...rows(byFile)]));
console.log(`\n${table([['top functions (self time)', 'ms', '% of busy'], ...rows(byFunction)])}`);
