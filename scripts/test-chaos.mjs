#!/usr/bin/env node
// Runs the interleaving suite (test/interleaving) with many more generated scenarios than
// `npm test` does, on every store or one:
//
//   npm run test:chaos -- --runs 2000 [--store memory|postgres|redis] [--seed=S [--path=P]]
//
// It prints one line per store (runs, seed, time) and, for a failure, what broke and the
// seed and path that replay it.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '500' },
    store: { type: 'string' },
    seed: { type: 'string' },
    path: { type: 'string' },
  },
  strict: true,
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`test:chaos: --runs must be a positive integer, got '${values.runs}'`);
  process.exit(2);
}
const env = { ...process.env, TANDEM_INTERLEAVING_RUNS: String(runs) };
if (values.store) env.TANDEM_INTERLEAVING_STORE = values.store;
if (values.seed) env.TANDEM_INTERLEAVING_SEED = values.seed;
if (values.path) env.TANDEM_INTERLEAVING_PATH = values.path;
// Its own report file, so a chaos run never overwrites the one `npm test` leaves for CI.
env.TANDEM_VITEST_REPORT = '.vitest-report-chaos.json';
const result = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', 'test/interleaving/interleaving.test.ts'],
  {
    env,
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
