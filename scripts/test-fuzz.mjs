#!/usr/bin/env node
// Runs the HTTP fuzz suite (test/fuzz) with more generated runs than `npm test` does:
//
//   npm run test:fuzz -- --runs 2000 [--seed S]
//
// fast-check prints the seed and path of a failure, and the request that caused it.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '500' }, seed: { type: 'string' } },
  strict: true,
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`test:fuzz: --runs must be a positive integer, got '${values.runs}'`);
  process.exit(2);
}
const env = {
  ...process.env,
  TANDEM_FUZZ_STALL_MS: '100',
  TANDEM_FUZZ_RUNS: String(runs),
  TANDEM_VITEST_REPORT: '.vitest-report-fuzz.json',
};
if (values.seed) env.TANDEM_FUZZ_SEED = values.seed;
const result = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/fuzz'], {
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
