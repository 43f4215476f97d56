// Installs the benchmark's own dependencies (NestJS, fastify, Moleculer, autocannon, ...) into
// bench/node_modules when a benchmark runs, so the root `npm install` does not pull them in.
// The Tandem packages themselves resolve from the root's node_modules (the workspace links).
// Runs `npm ci --prefix bench` when bench/node_modules is missing or was installed from another
// bench/package-lock.json; otherwise returns at once.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bench = fileURLToPath(new URL('../bench/', import.meta.url));
const lock = `${bench}package-lock.json`;
const stamp = `${bench}node_modules/.tandem-bench-lock`;

export function benchInstallNeeded() {
  const want = createHash('sha256').update(readFileSync(lock)).digest('hex');
  const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
  return { needed: have !== want, hash: want };
}

const { needed, hash } = benchInstallNeeded();
if (needed) {
  console.error('bench: installing the benchmark dependencies into bench/node_modules (npm ci --prefix bench)');
  execFileSync('npm', ['ci', '--prefix', bench, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  writeFileSync(stamp, `${hash}\n`);
}
