/**
 * The search for the highest sustainable rate: double from the start rate while steps
 * pass (up to the maximum), then bisect between the last passing and the first failing
 * rate. A failing first step is bisected between 0 and it.
 */

export interface SearchPlan {
  startRate: number;
  maxRate: number;
  bisect: number;
}

export interface Searched<S> {
  /** Every step in the order it ran. */
  steps: S[];
  /** The highest passing step, if any passed. */
  sustainable: S | undefined;
  /** True when the maximum rate passed, so the shop may sustain more. */
  reachedMax: boolean;
}

/** Rates are whole orders/s once above 10, to read well in the table. */
function roundRate(rate: number): number {
  return rate >= 10 ? Math.round(rate) : Math.round(rate * 10) / 10;
}

export async function searchRate<S extends { rate: number; passed: boolean }>(
  plan: SearchPlan,
  runStep: (rate: number) => Promise<S>,
): Promise<Searched<S>> {
  const steps: S[] = [];
  let best: S | undefined;
  let failedAt: number | undefined;
  for (let rate = plan.startRate; ; rate = Math.min(plan.maxRate, rate * 2)) {
    const step = await runStep(rate);
    steps.push(step);
    if (!step.passed) {
      failedAt = rate;
      break;
    }
    best = step;
    if (rate >= plan.maxRate) return { steps, sustainable: best, reachedMax: true };
  }
  let low = best?.rate ?? 0;
  let high = failedAt;
  for (let i = 0; i < plan.bisect; i++) {
    const rate = roundRate((low + high) / 2);
    if (rate <= low || rate >= high) break;
    const step = await runStep(rate);
    steps.push(step);
    if (step.passed) {
      best = step;
      low = rate;
    } else high = rate;
  }
  return { steps, sustainable: best, reachedMax: false };
}
