import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyBytes, describeRequest, fuzzRun, type FuzzRequest } from './requests.js';
import { send, type Outcome } from './send.js';
import { StallWatch } from './stalls.js';
import { startTarget, type Target } from './target.js';

/**
 * Hostile HTTP input against a real httpServer on a real socket: body shapes, nesting and
 * sizes, headers, paths, query strings, idempotency keys and deadline headers. After every
 * request: no 5xx, no answer over the cap, no reset of a request within the body limit;
 * over each run: no event-loop stall over 100 ms; over the whole run: bounded RSS.
 *
 * `npm test` runs a fixed budget; `npm run test:fuzz -- --runs N [--seed S]` runs more.
 */
const RUNS = Number(process.env.TANDEM_FUZZ_RUNS ?? 150);
const SEED = Number(process.env.TANDEM_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** The largest answer any of these requests may get: problem details are capped well below it. */
const ANSWER_CAP = 64 * 1024;
const BODY_LIMIT = 1024 * 1024;
// 100 ms in npm run test:fuzz; npm test shares two cores with every other suite, so it allows 250.
const STALL_LIMIT_MS = Number(process.env.TANDEM_FUZZ_STALL_MS ?? 250);
const RSS_GROWTH_LIMIT = 256 * 1024 * 1024;

/** What is wrong with one outcome, or undefined. */
function faultOf(request: FuzzRequest, outcome: Outcome): string | undefined {
  if (outcome.kind === 'refused-by-client') return undefined;
  if (outcome.kind === 'no-answer') return outcome.message;
  if (outcome.kind === 'socket-error') {
    // A server may answer 413 and close while a body over its limit is still being sent.
    return bodyBytes(request) > BODY_LIMIT ? undefined : `connection failed: ${outcome.message}`;
  }
  if (outcome.truncated) return `answer over ${ANSWER_CAP} bytes`;
  if (outcome.status >= 500) return `answered ${outcome.status}`;
  return undefined;
}

describe('HTTP fuzz: hostile input against a real server', () => {
  let target: Target;
  let rssBefore = 0;
  const stalls = new StallWatch();

  beforeAll(async () => {
    target = await startTarget();
    rssBefore = process.memoryUsage().rss;
  });
  afterAll(async () => {
    stalls.pause();
    await target?.app.stop();
  });

  /** Sends requests at once and says what went wrong, the stall they caused included. */
  async function faultsOf(requests: FuzzRequest[]): Promise<string[]> {
    stalls.worstMs = 0;
    stalls.watch();
    const outcomes = await Promise.all(requests.map((request) => send(target.url, request, ANSWER_CAP)));
    stalls.pause();
    const faults: string[] = [];
    requests.forEach((request, i) => {
      const fault = faultOf(request, outcomes[i]!);
      if (fault) faults.push(`${fault}: ${describeRequest(request)}`);
    });
    if (stalls.worstMs > STALL_LIMIT_MS) {
      const which = requests.map(describeRequest).join(' | ');
      faults.push(`the event loop stalled for ${Math.round(stalls.worstMs)} ms of CPU: ${which}`);
    }
    return faults;
  }

  it(`never answers 5xx or over the cap, never stalls the loop (${RUNS} runs)`, { timeout: 900_000 }, async () => {
    const started = performance.now();
    const result = await fc.check(
      fc.asyncProperty(fuzzRun, async (run) => {
        const faults: string[] = [];
        for (const request of run.sequential) faults.push(...(await faultsOf([request])));
        if (run.concurrent.length > 0) faults.push(...(await faultsOf(run.concurrent)));
        const live = await send(target.url, { method: 'GET', path: '/health/live', headers: {} }, ANSWER_CAP);
        if (live.kind !== 'answer' || live.status !== 200)
          faults.push(`/health/live after the run: ${JSON.stringify(live)}`);
        if (faults.length > 0) throw new Error(faults.join('\n'));
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const grown = process.memoryUsage().rss - rssBefore;
    const seconds = ((performance.now() - started) / 1_000).toFixed(1);
    console.log(
      `[fuzz] ${result.numRuns} runs, seed ${result.seed}, ${seconds} s, RSS +${Math.round(grown / 2 ** 20)} MiB, ${result.failed ? 'FAILED' : 'ok'}` +
        (result.failed ? `; replay with npm run test:fuzz -- --seed ${result.seed}` : ''),
    );
    if (result.failed) {
      const cause = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
      throw new Error(`${fc.defaultReportMessage(result) ?? 'the fuzz run failed'}\n${cause}`);
    }
    expect(grown, `RSS grew by ${Math.round(grown / 2 ** 20)} MiB`).toBeLessThan(RSS_GROWTH_LIMIT);
  });
});
