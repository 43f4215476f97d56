// Instructions per event of core's own delivery path (deliver-loop.mjs), or per command of
// its dispatch path (`--loop dispatch`, dispatch-loop.mjs), counted by valgrind's callgrind:
// the difference of the totals of a `--small` and a `--large` run over the difference of
// their counts, so start-up and JIT warm-up cancel. No broker or server runs, so the figure
// is load-independent and holds core's share of the peer benches' Tandem rows.
//
//   node bench/core-event/instructions.mjs [--loop deliver|dispatch] [--small 4000] [--large 40000] [--rounds 2]
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '4000' },
    large: { type: 'string', default: '40000' },
    rounds: { type: 'string', default: '2' },
    loop: { type: 'string', default: 'deliver' },
  },
});
const small = Number(values.small);
const large = Number(values.large);
const out = mkdtempSync(join(tmpdir(), 'tandem-core-event-'));
const script = fileURLToPath(new URL(`./${values.loop}-loop.mjs`, import.meta.url));

function total(events, file) {
  const args = ['--tool=callgrind', `--callgrind-out-file=${file}`, process.execPath, '--single-threaded', script];
  args.push('--events', String(events));
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { env: { ...process.env, NODE_ENV: 'production' }, stdio: 'ignore' });
    child.on('exit', (code) => {
      const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(file, 'utf8'));
      if (code === 0 && totals) resolve(Number(totals[1]));
      else reject(new Error(`${values.loop}-loop under callgrind exited with ${code}`));
    });
  });
}

const perEvent = [];
for (let round = 1; round <= Number(values.rounds); round++) {
  const a = await total(small, join(out, `r${round}-${small}.out`));
  const b = await total(large, join(out, `r${round}-${large}.out`));
  perEvent.push((b - a) / (large - small));
  console.log(`round ${round}: ${Math.round(perEvent.at(-1))} instructions/event (callgrind files in ${out})`);
}
perEvent.sort((x, y) => x - y);
const middle = (perEvent.length - 1) / 2;
const median = (perEvent[Math.floor(middle)] + perEvent[Math.ceil(middle)]) / 2;
console.log(`${values.loop}: median ${Math.round(median)} instructions/event over ${perEvent.length} rounds`);
