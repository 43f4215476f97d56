// Runs a Node script under valgrind's callgrind until it exits, and answers its total
// instruction count: the stable measure the *-instructions benches take differences of.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Starts `script` under callgrind, writing to `file`. `exited` resolves with the total
 * instruction count once it exits, and rejects with the tail of valgrind's stderr.
 * Its stdout is piped, for a caller that waits on what the script prints.
 */
export function spawnCallgrind({ name, script, env, file }) {
  const args = ['--tool=callgrind', `--callgrind-out-file=${file}`, process.execPath, '--single-threaded', script];
  const child = spawn('valgrind', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(file, 'utf8'));
      if (code === 0 && totals) resolve(Number(totals[1]));
      else reject(new Error(`${name} under callgrind exited with ${code}: ${stderr.slice(-500)}`));
    });
  });
  return { child, exited };
}

/** The script's instructions from start to exit; rejects with the tail of valgrind's stderr. */
export function callgrindTotal(options) {
  const { child, exited } = spawnCallgrind(options);
  child.stdout.resume();
  return exited;
}
