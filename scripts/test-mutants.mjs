#!/usr/bin/env node
// Shows that the interleaving suite (test/interleaving) finds the bugs it was written for:
// each patch in test/interleaving/mutants puts one of them back into a copy of HEAD, and the
// suite runs there until it fails (the mutant is killed) or its runs are used up (it survived).
//
//   npm run test:mutants -- [--store postgres|memory|redis] [--runs 300] [--only 6] [--seed S] [--control]
//
// Prints one row per mutant and store (killed or not, after how many runs, the seed, the
// time) and exits 1 if a mutant survived, 2 if a patch no longer applies or a run broke.
// --control first runs the same budget on HEAD unpatched, which must pass: a suite that
// fails without a mutant would "kill" every one of them and prove nothing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'postgres' },
    runs: { type: 'string', default: '300' },
    only: { type: 'string', multiple: true },
    seed: { type: 'string' },
    control: { type: 'boolean', default: false },
  },
  strict: true,
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a positive integer, got '${values.runs}'`);

const root = resolve(import.meta.dirname, '..');
const git = (args, options = {}) => spawnSync('git', args, { cwd: root, encoding: 'utf8', ...options });
if (git(['rev-parse', '--is-inside-work-tree']).stdout?.trim() !== 'true')
  fail('needs a git checkout: the mutants are applied to a copy of HEAD');
const head = git(['rev-parse', '--short', 'HEAD']).stdout.trim();

const dir = join(root, 'test/interleaving/mutants');
const patches = readdirSync(dir)
  .filter((f) => f.endsWith('.patch'))
  .filter((f) => !values.only || values.only.some((n) => f.startsWith(`${n}-`)))
  .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
if (patches.length === 0) fail(`no patch in ${dir} matches --only ${values.only?.join(', ')}`);

const CONTROL = 'none (HEAD, control)';
const copies = new Set();
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    for (const copy of copies) rmSync(copy, { recursive: true, force: true });
    process.exit(130);
  });

console.log(
  `test:mutants: ${patches.length} mutant(s) on ${head}, store ${values.store}, up to ${runs} runs each; ` +
    `load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
const began = Date.now();
const rows = [];
for (const patch of [...(values.control ? [undefined] : []), ...patches]) {
  try {
    rows.push(...(await runMutant(patch)));
  } catch (error) {
    if (error instanceof Broken) fail(error.message);
    throw error;
  }
}
const total = ((Date.now() - began) / 1000).toFixed(0);

console.log('');
const header = ['mutant', 'store', 'result', 'runs', 'seed', 'seconds'];
const table = [
  header,
  ...rows.map((r) => [r.patch ?? CONTROL, r.store, r.result, String(r.runs), String(r.seed), r.seconds]),
];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
console.log(
  `\ntotal ${total} s; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const survivors = rows.filter((r) => r.patch !== undefined && r.result !== 'killed');
if (survivors.length > 0) console.log(`survived: ${[...new Set(survivors.map((r) => r.patch))].join(', ')}`);
const controlFailed = rows.some((r) => r.patch === undefined && r.result !== 'passed');
if (controlFailed) console.log('the suite failed on HEAD without a mutant: the kills above prove nothing');
process.exit(survivors.length > 0 || controlFailed ? 1 : 0);

/**
 * Applies one patch (none for the control) to a fresh copy of HEAD and runs the suite there;
 * one row per store it ran on.
 */
async function runMutant(patch) {
  const copy = mkdtempSync(join(tmpdir(), `tandem-mutant-${patch === undefined ? 'control' : parseInt(patch, 10)}-`));
  copies.add(copy);
  try {
    const archive = spawnSync('sh', ['-c', 'git archive HEAD | tar -x -C "$1"', 'sh', copy], { cwd: root });
    if (archive.status !== 0) throw new Broken(`copying HEAD failed: ${archive.stderr}`);
    linkModules(copy);
    const apply =
      patch === undefined
        ? { status: 0 }
        : spawnSync('git', ['apply', join(dir, patch)], { cwd: copy, encoding: 'utf8' });
    if (apply.status !== 0)
      throw new Broken(
        `${patch} no longer applies to HEAD (${head}); make it again against the current source:\n${apply.stderr}`,
      );

    console.log(`\n${patch ?? CONTROL}: running the interleaving suite in ${copy}`);
    const started = Date.now();
    const { code, output } = await suite(copy);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const found = /what broke:\n(.*)/.exec(output)?.[1];
    if (found) console.log(`  first problem: ${found}`);
    const lines = [...output.matchAll(/\[interleaving\] (.+?): (\d+) runs, seed (-?\d+), ([\d.]+) s, (FAILED|ok)/g)];
    if (lines.length === 0) {
      console.error(output.slice(-4000));
      throw new Broken(`${patch}: the suite did not run (exit ${code}); its output ends above`);
    }
    return lines.map(([, store, n, seed, s, outcome]) => ({
      patch,
      store,
      result:
        patch === undefined
          ? outcome === 'FAILED'
            ? 'FAILED'
            : 'passed'
          : outcome === 'FAILED'
            ? 'killed'
            : 'survived',
      runs: Number(n),
      seed: Number(seed),
      seconds: lines.length === 1 ? seconds : s,
    }));
  } finally {
    rmSync(copy, { recursive: true, force: true });
    copies.delete(copy);
  }
}

/**
 * The copy's node_modules: the checkout's packages, linked, except @tandem/*, which are
 * relative links into packages/ and must point at the copy's (patched) sources.
 */
function linkModules(copy) {
  const from = join(root, 'node_modules');
  const to = join(copy, 'node_modules');
  mkdirSync(to);
  for (const entry of readdirSync(from)) {
    if (entry === '@tandem' || entry === '.vite' || entry === '.vitest') continue;
    symlinkSync(join(from, entry), join(to, entry));
  }
  mkdirSync(join(to, '@tandem'));
  for (const name of readdirSync(join(from, '@tandem')))
    symlinkSync(readlinkSync(join(from, '@tandem', name)), join(to, '@tandem', name));
  // Dependencies npm could not hoist live beside their workspace.
  for (const group of ['packages', 'examples'])
    for (const name of readdirSync(join(root, group))) {
      const own = join(root, group, name, 'node_modules');
      if (existsSync(own) && existsSync(join(copy, group, name)))
        symlinkSync(own, join(copy, group, name, 'node_modules'));
    }
}

/** Runs test/interleaving in `copy`, echoing its summary lines; resolves with its exit code and output. */
function suite(copy) {
  const env = {
    ...process.env,
    TANDEM_INTERLEAVING_RUNS: String(runs),
    TANDEM_INTERLEAVING_STORE: values.store,
    TANDEM_VITEST_REPORT: join(copy, '.vitest-report-mutant.json'),
  };
  delete env.TANDEM_INTERLEAVING_PATH;
  if (values.seed) env.TANDEM_INTERLEAVING_SEED = values.seed;
  else delete env.TANDEM_INTERLEAVING_SEED;
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', 'test/interleaving/interleaving.test.ts'],
      {
        cwd: copy,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let partial = '';
    const collect = (chunk) => {
      output += chunk.toString();
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        const summary = /\[interleaving\] .+ runs, seed .*/.exec(line);
        if (summary) console.log(`  ${summary[0]}`);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => done({ code, output }));
  });
}

/** A patch that no longer applies, or a run that broke: exit 2 once the copy is removed. */
class Broken extends Error {}

function fail(message) {
  console.error(`test:mutants: ${message}`);
  process.exit(2);
}
