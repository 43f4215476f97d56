// Installs the benchmark's own dependencies (NestJS, fastify, Moleculer, autocannon, ...) into
// bench/node_modules when a benchmark runs, so the root `npm install` does not pull them in.
// The Tandem packages themselves resolve from the root's node_modules (the workspace links).
// Runs `npm ci --prefix bench` when bench/node_modules is missing or was installed from another
// bench/package-lock.json; otherwise returns at once.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const STAMP = join('node_modules', '.tandem-bench-lock');

/** Whether `dir`'s node_modules is missing or was installed from another package-lock.json. */
export function benchInstallNeeded(dir) {
  const hash = createHash('sha256')
    .update(readFileSync(join(dir, 'package-lock.json')))
    .digest('hex');
  const stamp = join(dir, STAMP);
  const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
  return { needed: have !== hash, hash };
}

/** Records that `dir`'s node_modules was installed from the lockfile with this hash. */
export function markBenchInstalled(dir, hash) {
  writeFileSync(join(dir, STAMP), `${hash}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bench = fileURLToPath(new URL('../bench/', import.meta.url));
  const { needed, hash } = benchInstallNeeded(bench);
  if (needed) {
    console.error('bench: installing the benchmark dependencies into bench/node_modules (npm ci --prefix bench)');
    execFileSync('npm', ['ci', '--prefix', bench, '--no-audit', '--no-fund'], { stdio: 'inherit' });
    markBenchInstalled(bench, hash);
  }
}
