import { map, type Observable } from 'rxjs';
import type { Activity, HandlerRunActivity } from '@tandem/core';
import { quantile, rolling } from './rolling.js';

/** One handler's runs over the feed's window. */
export interface HandlerStats {
  service: string;
  handler: string;
  handlerKind: HandlerRunActivity['handlerKind'];
  /** The consumer group, for event handlers. */
  group?: string;
  runs: number;
  /** Runs that did not end `ok` (errors, retries, dead letters). */
  failures: number;
  retries: number;
  deadLetters: number;
  ratePerSec: number;
  errorsPerSec: number;
  /** Duration quantiles in ms over a sample of the window's runs; absent without runs. */
  p50Ms?: number;
  p99Ms?: number;
}

/** How the handler statistics are windowed and sampled. */
export interface HandlerStatsOptions {
  /** The window rates and quantiles are measured over. Default 60 s. */
  windowMs?: number;
  /** How often a new value is emitted (and the window slides). Default 1 s. */
  tickMs?: number;
  /** Durations kept per handler per tick for the quantiles (a uniform sample beyond it). Default 256. */
  samplesPerTick?: number;
}

interface Tally {
  first: HandlerRunActivity;
  runs: number;
  failures: number;
  retries: number;
  deadLetters: number;
  /** A uniform sample of the tick's durations (reservoir sampling). */
  samples: number[];
}

function keyOf(run: HandlerRunActivity): string {
  return `${run.service}\u0000${run.handler}\u0000${run.group ?? ''}`;
}

/**
 * Per-handler rate, failures and p50/p99 duration over a sliding window, emitted every
 * tick. Memory is bounded by handlers × ticks × `samplesPerTick`, whatever the rate.
 */
export function handlerStats(
  activity: Observable<Activity>,
  options: HandlerStatsOptions = {},
): Observable<HandlerStats[]> {
  const tickMs = options.tickMs ?? 1_000;
  const ticks = Math.max(1, Math.round((options.windowMs ?? 60_000) / tickMs));
  const cap = options.samplesPerTick ?? 256;
  const add = (bucket: Map<string, Tally>, a: Activity): Map<string, Tally> => {
    if (a.kind !== 'handler') return bucket;
    const key = keyOf(a);
    let tally = bucket.get(key);
    if (!tally) bucket.set(key, (tally = { first: a, runs: 0, failures: 0, retries: 0, deadLetters: 0, samples: [] }));
    tally.runs++;
    if (a.outcome !== 'ok') tally.failures++;
    if (a.outcome === 'retry') tally.retries++;
    if (a.outcome === 'dead-letter') tally.deadLetters++;
    if (tally.samples.length < cap) tally.samples.push(a.durationMs);
    else {
      const slot = Math.floor(Math.random() * tally.runs);
      if (slot < cap) tally.samples[slot] = a.durationMs;
    }
    return bucket;
  };
  return rolling(activity, tickMs, ticks, () => new Map<string, Tally>(), add).pipe(
    map((window) => summarise(window, (window.length * tickMs) / 1000)),
  );
}

function summarise(window: readonly Map<string, Tally>[], seconds: number): HandlerStats[] {
  const totals = new Map<string, Tally>();
  for (const bucket of window)
    for (const [key, tally] of bucket) {
      const total = totals.get(key);
      if (!total) totals.set(key, { ...tally, samples: [...tally.samples] });
      else {
        total.runs += tally.runs;
        total.failures += tally.failures;
        total.retries += tally.retries;
        total.deadLetters += tally.deadLetters;
        total.samples.push(...tally.samples);
      }
    }
  return [...totals.values()]
    .map(({ first, runs, failures, retries, deadLetters, samples }) => {
      const p50Ms = quantile(samples, 0.5);
      const p99Ms = quantile(samples, 0.99);
      return {
        service: first.service,
        handler: first.handler,
        handlerKind: first.handlerKind,
        ...(first.group !== undefined ? { group: first.group } : {}),
        runs,
        failures,
        retries,
        deadLetters,
        ratePerSec: runs / seconds,
        errorsPerSec: failures / seconds,
        ...(p50Ms !== undefined ? { p50Ms } : {}),
        ...(p99Ms !== undefined ? { p99Ms } : {}),
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.handler.localeCompare(b.handler));
}
