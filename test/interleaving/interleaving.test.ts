/**
 * Tandem's guarantees under generated interleavings, on every store: concurrent commands,
 * shared idempotency keys, joined calls, deadlines, broker refusals, relay and consumer
 * crashes (see scenario.ts), checked against invariants.ts after every run.
 *
 * `npm test` runs a fixed small budget; `npm run test:chaos -- --runs N [--seed S] [--store
 * memory|postgres|redis]` runs many more, and prints the seed and path of any failure so it
 * can be replayed exactly (TANDEM_INTERLEAVING_SEED and TANDEM_INTERLEAVING_PATH).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { describe as describeError, violations } from './invariants.js';
import { scenarios, type Scenario } from './scenario.js';
import { memoryUnderTest, postgresUnderTest, redisUnderTest, type StoreUnderTest } from './stores.js';
import { play, type Observation } from './world.js';

const env = process.env;
const runs = Number(env.TANDEM_INTERLEAVING_RUNS ?? 0);
const only = env.TANDEM_INTERLEAVING_STORE;
const seed = env.TANDEM_INTERLEAVING_SEED !== undefined ? Number(env.TANDEM_INTERLEAVING_SEED) : undefined;
const path = env.TANDEM_INTERLEAVING_PATH;

/** Runs per store in `npm test`: enough to meet each fault a few times, small enough for CI. */
const BUDGET: Record<string, number> = { memory: 25, 'memory without outbox': 15, postgres: 12, redis: 10 };

let namespace = 0;

/** The scenario's accounts and keys made unique to this run, so runs sharing a database never meet. */
function isolated(scenario: Scenario): Scenario {
  const ns = `r${++namespace}${Date.now().toString(36)}-`;
  return {
    ...scenario,
    operations: scenario.operations.map((op) => ({
      ...op,
      account: ns + op.account,
      idempotencyKey: op.idempotencyKey === undefined ? undefined : ns + op.idempotencyKey,
    })),
    scripts: Object.fromEntries(Object.entries(scenario.scripts).map(([account, s]) => [ns + account, s])),
  };
}

const stores: Array<[string, () => Promise<StoreUnderTest | undefined>]> = [
  ['memory', async () => memoryUnderTest({ outbox: true })],
  ['memory without outbox', async () => memoryUnderTest({ outbox: false })],
  ['postgres', postgresUnderTest],
  ['redis', redisUnderTest],
];

for (const [name, make] of stores) {
  // A store's whole name picks that store alone ('memory'); otherwise a prefix picks all it begins.
  const exact = stores.some(([other]) => other === only);
  if (only !== undefined && (exact ? name !== only : !name.startsWith(only))) continue;
  const sut = await make();
  if (!sut) continue;
  describe(`interleavings on ${sut.name}`, () => {
    afterAll(() => sut.close());

    it('keep every guarantee', { timeout: runs > 0 ? 24 * 60 * 60_000 : 180_000 }, async () => {
      const numRuns = runs > 0 ? runs : BUDGET[sut.name]!;
      const started = Date.now();
      const result = await fc.check(
        fc.asyncProperty(scenarios, fc.scheduler(), async (generated, s) => {
          const scenario = isolated(generated);
          const seen = await play(scenario, sut, s);
          const problems = await violations(scenario, seen, sut);
          if (problems.length > 0) throw new Error(report(problems, seen, s));
        }),
        {
          numRuns,
          ...(seed !== undefined ? { seed } : {}),
          ...(path !== undefined ? { path } : {}),
          endOnFailure: true,
          // Shrinking replays the failing scenario smaller; each replay is a real run against the store.
          interruptAfterTimeLimit: runs > 0 ? undefined : 150_000,
        },
      );
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      // One line per store for the chaos script to collect.

      console.log(
        `[interleaving] ${sut.name}: ${result.numRuns} runs, seed ${result.seed}, ${seconds} s, ${result.failed ? 'FAILED' : 'ok'}` +
          (result.failed
            ? `; replay with npm run test:chaos -- --store '${sut.name}' --seed=${result.seed} --path=${result.counterexamplePath}`
            : ''),
      );
      if (result.failed) {
        const error = result.errorInstance;

        console.log(
          `[interleaving] ${sut.name}: what broke:\n${error instanceof Error ? error.message : String(error)}`,
        );
      }
      expect(result.failed, fc.defaultReportMessage(result) ?? '').toBe(false);
    });
  });
}

/** What broke, with what each caller was answered and the order the scheduler chose. */
function report(problems: string[], seen: Observation, s: fc.Scheduler): string {
  const answers = seen.answers.map((a) => `${a.account}: ${a.ok ? `run ${a.value!.run}` : describeError(a.error)}`);
  const runs = [...seen.runs].map(([account, n]) => `${account} ${n}`);
  const order = s.report().map((r) => r.label);
  return [
    ...problems,
    `answers: ${answers.join('; ')}`,
    `runs: ${runs.join('; ')}`,
    `scheduler: ${order.join(' | ')}`,
  ].join('\n');
}
