/**
 * What must hold after any scenario, whatever the interleaving: the guarantees Tandem
 * promises, stated over what the store committed and what the broker delivered.
 */
import { isTandemError } from '@tandem/core';
import type { Scenario } from './scenario.js';
import type { StoreUnderTest } from './stores.js';
import { callsDetached, committedCharges, MAIL_CONCURRENCY, SHUTDOWN_TIMEOUT_MS, type Observation } from './world.js';

/** stop() drains for its timeout, then gives aborted runs and consumers a grace, then the relay its drain. */
const STOP_BOUND_MS = SHUTDOWN_TIMEOUT_MS * 4 + 2_000;

export async function violations(scenario: Scenario, seen: Observation, sut: StoreUnderTest): Promise<string[]> {
  const problems: string[] = [];
  const committed = await committedCharges(seen, sut);
  const committedSet = new Set(committed);

  // One execution per idempotency key (and per un-keyed call): at most one committed run per account.
  const perAccount = new Map<string, number>();
  for (const id of committed) {
    const account = id.slice(0, id.lastIndexOf(':'));
    perAccount.set(account, (perAccount.get(account) ?? 0) + 1);
  }
  for (const [account, n] of perAccount) if (n > 1) problems.push(`${account}: ${n} committed runs for one key`);

  // An answer tells the truth: a success committed; an un-keyed failure committed nothing.
  for (const answer of seen.answers) {
    const runs = committed.filter((id) => id.startsWith(`${answer.account}:`));
    if (answer.ok && !committedSet.has(`${answer.value!.account}:${answer.value!.run}`))
      problems.push(`${answer.account}: answered success for run ${answer.value!.run}, which did not commit`);
    if (!answer.ok && !answer.keyed && runs.length > 0)
      problems.push(`${answer.account}: answered ${describe(answer.error)} but ${runs.join(', ')} committed`);
  }

  // Joined calls: a callee's write commits exactly when it succeeded for its caller and the caller
  // committed. Calls a deferred run made before its transaction opened commit on their own: a
  // success answered committed its write once, a callee that failed committed nothing, and a
  // callee cut short by its caller's end may have committed or not, but never twice.
  for (const [account, runs] of seen.runs) {
    for (let run = 1; run <= runs; run++) {
      const script = scenario.scripts[account]?.[run - 1];
      const callees = script?.callees ?? [];
      const detached = script !== undefined && callsDetached(scenario, script);
      for (let index = 0; index < callees.length; index++) {
        const id = `${account}:${run}:${index}`;
        const answered = seen.calleeAnswers.get(id);
        const got = await sut.count(`ledger:${id}`);
        if (detached) {
          const wrong = got > 1 || (answered === true && got !== 1) || (callees[index]!.fail && got !== 0);
          if (wrong)
            problems.push(
              `ledger ${id}: ${got} committed writes of a call made before its caller's transaction opened (callee ${describeCallee(answered, callees[index]!.fail)})`,
            );
          continue;
        }
        if (answered === undefined) continue; // the caller ended before its calls settled
        const expected = answered && committedSet.has(`${account}:${run}`) ? 1 : 0;
        if (got !== expected)
          problems.push(
            `ledger ${id}: ${got} committed writes, expected ${expected} (callee ${answered ? 'succeeded' : 'failed'}, caller ${committedSet.has(`${account}:${run}`) ? 'committed' : 'did not commit'})`,
          );
      }
    }
  }

  // Every committed write has its event delivered; no event exists for a write that did not commit.
  const delivered = new Set(seen.delivered);
  for (const id of committed)
    if (!delivered.has(id)) problems.push(`charge ${id} committed but its event never arrived`);
  for (const id of delivered)
    if (!committedSet.has(id)) problems.push(`an event for charge ${id}, which did not commit`);

  // Effectively once downstream: each committed charge mailed exactly once (duplicates absorbed by the inbox).
  for (const id of committed) {
    const mails = await sut.count(`mail:${id}`);
    if (mails !== 1) problems.push(`charge ${id} mailed ${mails} times`);
  }

  if (seen.mostMailAtOnce > MAIL_CONCURRENCY)
    problems.push(`mail ran ${seen.mostMailAtOnce} at once; it declared concurrency ${MAIL_CONCURRENCY}`);
  for (const ms of seen.stopMs) if (ms > STOP_BOUND_MS) problems.push(`stop() took ${ms} ms (bound ${STOP_BOUND_MS})`);
  return problems;
}

function describeCallee(answered: boolean | undefined, fails: boolean): string {
  const told = answered === undefined ? 'unanswered' : answered ? 'answered success' : 'answered failure';
  return fails ? `${told}, scripted to fail` : told;
}

export function describe(error: unknown): string {
  return isTandemError(error)
    ? `${error.code} (${error.message})`
    : error instanceof Error
      ? error.message
      : String(error);
}
