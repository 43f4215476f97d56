/**
 * The stepped search: each step offers one rate for a few seconds (open loop), waits for
 * its orders to ship, and records both latencies, the CPU each process spent and the
 * breakdown of a sample of its orders' traces. A step passes when every order was
 * accepted and shipped and both p99s are under their bounds.
 */
import type { Dispatcher } from 'undici';
import { breakdownOf, type Breakdown } from './breakdown.js';
import { cpuBetween } from './cpu.js';
import { runArrivals } from './open-loop.js';
import type { SteppedOptions } from './options.js';
import type { PgActivity } from './pg-activity.js';
import { searchRate } from './search.js';
import { ShippedWatch } from './shipped.js';
import { summarize, type Summary } from './stats.js';
import type { ShopTarget } from './target.js';

export interface CpuShare {
  process: string;
  /** CPU over the step (first arrival to last order shipped), % of one core. */
  percent: number;
  /** The same with no orders arriving (relays, pollers, timers, this load's own polls), measured once before the steps. */
  idlePercent: number;
  /** CPU ms per order offered, above the idle CPU. */
  msPerOrder: number;
}

/** How long the idle CPU is measured. */
const IDLE_MS = 3_000;

export interface StepResult {
  rate: number;
  seconds: number;
  due: number;
  accepted: number;
  rejected: number;
  failed: number;
  dropped: number;
  /** orders.place, from each order's due time to its answer. */
  place: Summary;
  /** Accept answer to seen shipped, over the orders seen shipped. */
  shipped: Summary;
  /** Accepted orders not seen shipped within the drain. */
  notShipped: number;
  /** How late this process sent orders after their due time: when large, the load itself could not keep the rate. */
  sendLag: Summary;
  cpu: CpuShare[];
  breakdown: Breakdown;
  /** What the run database's backends did during the step (five-process shop only). */
  pgActivity?: PgActivity;
  passed: boolean;
  /** Why it failed; empty when it passed. */
  reasons: string[];
  firstFailure?: string;
}

export interface SteppedReport {
  target: string;
  bounds: SteppedOptions['bounds'];
  stepSeconds: number;
  minOrders: number;
  steps: StepResult[];
  /** The highest passing rate, orders/s; undefined when none passed. */
  sustainableRate: number | undefined;
  reachedMax: boolean;
  deadLetters: Record<string, number> | undefined;
  /** Machine load (1, 5, 15 min) at the start and at the end. */
  loadAverage: { start: number[]; end: number[] };
}

function verdict(step: Omit<StepResult, 'passed' | 'reasons'>, bounds: SteppedOptions['bounds']): string[] {
  const reasons: string[] = [];
  if (step.failed > 0) reasons.push(`${step.failed} failed`);
  if (step.dropped > 0) reasons.push(`${step.dropped} dropped (too many in flight)`);
  if (step.rejected > 0) reasons.push(`${step.rejected} rejected`);
  if (!(step.place.p99 < bounds.placeP99Ms)) reasons.push(`place p99 ${step.place.p99.toFixed(0)} ms`);
  if (step.notShipped > 0) reasons.push(`${step.notShipped} not shipped`);
  else if (!(step.shipped.p99 < bounds.shippedP99Ms)) reasons.push(`shipped p99 ${step.shipped.p99.toFixed(0)} ms`);
  return reasons;
}

export async function runStepped(
  target: ShopTarget,
  options: SteppedOptions,
  dispatcher: Dispatcher,
  log: (line: string) => void,
  loadAverage: () => number[],
): Promise<SteppedReport> {
  const start = loadAverage();
  let nextOrder = 0;
  let idle = new Map<string, number>();

  async function step(rate: number, seconds: number): Promise<StepResult> {
    const watch = new ShippedWatch(target.status);
    const cpuBefore = await target.cpu();
    target.pgActivity?.start();
    const t0 = performance.now();
    const arrivals = await runArrivals(
      target.url,
      dispatcher,
      { rate, seconds, firstOrder: nextOrder, maxInFlight: Math.max(200, rate * 5) },
      (orderId, at) => watch.add(orderId, at),
    );
    nextOrder += arrivals.due;
    await watch.settled(options.drainSeconds * 1000);
    await watch.stop();
    const windowMs = performance.now() - t0;
    const pgActivity = await target.pgActivity?.stop();
    const cpu = [...cpuBetween(cpuBefore, await target.cpu())].map(([process, ms]) => {
      const idlePercent = idle.get(process) ?? 0;
      return {
        process,
        percent: (100 * ms) / windowMs,
        idlePercent,
        msPerOrder: Math.max(0, ms - (idlePercent / 100) * windowMs) / arrivals.due,
      };
    });
    const sample = arrivals.accepted.slice(-options.traceSample);
    const breakdown = await breakdownOf(sample, target.consoles, dispatcher, target.publishedAt);
    const partial = {
      rate,
      seconds,
      due: arrivals.due,
      accepted: arrivals.accepted.length,
      rejected: arrivals.rejected,
      failed: arrivals.failed,
      dropped: arrivals.dropped,
      place: summarize(arrivals.placeMs),
      shipped: summarize([...watch.shippedMs.values()]),
      notShipped: arrivals.accepted.length - watch.shippedMs.size,
      sendLag: summarize(arrivals.sendLagMs),
      cpu,
      breakdown,
      ...(pgActivity ? { pgActivity } : {}),
      ...(arrivals.firstFailure !== undefined ? { firstFailure: arrivals.firstFailure } : {}),
    };
    const reasons = verdict(partial, options.bounds);
    return { ...partial, passed: reasons.length === 0, reasons };
  }

  if (options.warmupSeconds > 0) {
    log(`warm-up: ${options.warmupSeconds} s at ${options.startRate}/s (not counted)`);
    await step(options.startRate, options.warmupSeconds);
  }
  const before = await target.cpu();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  idle = new Map(
    [...cpuBetween(before, await target.cpu())].map(([p, ms]) => [p, (100 * ms) / (performance.now() - t0)]),
  );
  const searched = await searchRate(options, async (rate) => {
    const result = await step(rate, Math.max(options.stepSeconds, options.minOrders / rate));
    log(
      `${String(rate).padStart(6)}/s  place p50 ${fmt(result.place.p50)} p99 ${fmt(result.place.p99)}  ` +
        `shipped p50 ${fmt(result.shipped.p50)} p99 ${fmt(result.shipped.p99)}  ${result.passed ? 'pass' : `FAIL: ${result.reasons.join(', ')}`}`,
    );
    return result;
  });
  return {
    target: target.describe,
    bounds: options.bounds,
    stepSeconds: options.stepSeconds,
    minOrders: options.minOrders,
    steps: searched.steps,
    sustainableRate: searched.sustainable?.rate,
    reachedMax: searched.reachedMax,
    deadLetters: await target.deadLetters(),
    loadAverage: { start, end: loadAverage() },
  };
}

const fmt = (ms: number) => `${Number.isFinite(ms) ? ms.toFixed(0) : '-'} ms`.padStart(8);
