import {
  BreakerStateValue,
  CircuitOpenError,
  observeBreakerStates,
  type ActivitySink,
  type GaugeRegistration,
  type HealthCheck,
  type Logger,
} from '@tandem/core';
import { faultOf, httpStatusOf, type Fault } from './client-send.js';
import { RollingCounts } from './breaker-window.js';

/** When the client's circuit breaker opens and how it probes again. */
export interface BreakerOptions {
  /** Failure rate (percent of calls in the rolling window) above which the circuit opens. Default 50. */
  errorThresholdPercentage?: number;
  /** Calls with an outcome needed in the window before the rate counts. Default 10. */
  volumeThreshold?: number;
  /**
   * How long an open circuit fails fast before it lets one probe through, the first time
   * it opens. Each time it opens again while the failures go on, twice as long, up to
   * `resetTimeoutMs`. A circuit opened by refusals (nothing listens, or the service says
   * it is not serving yet) always stays open this long only. Default 500 ms.
   */
  minResetTimeoutMs?: number;
  /** The longest an open circuit fails fast before a probe. Default 10 s. */
  resetTimeoutMs?: number;
  /** The rolling window the failure rate is measured over. Default 10 s. */
  rollingWindowMs?: number;
  /** Whether an open circuit makes the app not ready (`/health/ready` 503). Default true. */
  affectsReadiness?: boolean;
}

/** Whether the breaker lets calls through: closed, open or half-open. */
export type BreakerState = keyof typeof BreakerStateValue;

/** The breaker's state and counts at one moment. */
export interface BreakerSnapshot {
  state: BreakerState;
  /** In the rolling window: calls offered, faults counted, calls failed fast, and the faults that were timeouts. */
  fires: number;
  failures: number;
  rejects: number;
  timeouts: number;
}

/** Told of each state change, with the state before it. */
type ChangeListener = (target: string, from: BreakerState, to: BreakerState) => void;

interface ResolvedOptions {
  threshold: number;
  volume: number;
  minResetMs: number;
  maxResetMs: number;
  windowMs: number;
}

/**
 * How a call ended for the breaker: a fault of the downstream (failure), an answer, even
 * a 4xx (success: the service works as designed), or neither (the caller's own abort, no
 * instance to call), which counts for nothing and leaves a probe slot to the next call.
 */
function outcomeOf(error: unknown): 'failure' | 'success' | 'neutral' {
  if (faultOf(error) !== undefined) return 'failure';
  return httpStatusOf(error) !== undefined ? 'success' : 'neutral';
}

/**
 * The circuit of one downstream service. Closed, it counts outcomes over a rolling window
 * and opens when the failure rate passes the threshold. Open, it fails fast until its
 * period ends, then lets one probe through (half-open): an answer closes it, a fault opens
 * it again for twice as long (up to the maximum), and a probe with no outcome frees the
 * slot for the next call. The period starts short so that a short outage stays short; it
 * grows only while the failures go on, and falls back once the circuit has stayed closed
 * for a whole window.
 */
class Circuit {
  private open = false;
  private openUntil = 0;
  private probing = false;
  private periodMs = 0;
  /** Opens in a row without a quiet window between them: the next period is min * 2^level. */
  private level = 0;
  private closedAt = -Infinity;
  readonly counts: RollingCounts;

  constructor(
    readonly target: string,
    private readonly o: ResolvedOptions,
    private readonly log: Logger | undefined,
    private readonly now: () => number,
    private readonly changed: ChangeListener,
  ) {
    this.counts = new RollingCounts(o.windowMs, now);
  }

  get state(): BreakerState {
    if (!this.open) return 'closed';
    return this.probing || this.now() >= this.openUntil ? 'half-open' : 'open';
  }

  /** Lets a call through (true when it is the probe), or throws CircuitOpenError. */
  admit(): boolean {
    const c = this.counts.current();
    c.fires++;
    if (!this.open) return false;
    if (!this.probing && this.now() >= this.openUntil) {
      this.probing = true;
      this.log?.debug({ target: this.target }, 'circuit half-open: letting one probe through');
      this.changed(this.target, 'open', 'half-open');
      return true;
    }
    c.rejects++;
    const retryAfterSeconds = Math.max(1, Math.ceil((this.openUntil - this.now()) / 1000));
    throw new CircuitOpenError(
      `calls to service '${this.target}' fail fast: its circuit breaker is open after repeated failures; retry in ${retryAfterSeconds} s`,
      { details: { target: this.target, retryAfterSeconds } },
    );
  }

  record(probe: boolean, error?: unknown): void {
    const outcome = error === undefined ? 'success' : outcomeOf(error);
    const c = this.counts.current();
    if (outcome === 'success') c.successes++;
    else if (outcome === 'failure') {
      c.failures++;
      if (faultOf(error)!.kind === 'timeout') c.timeouts++;
    }
    if (probe) {
      this.probing = false;
      if (outcome === 'success') this.close();
      else if (outcome === 'failure') this.trip(faultOf(error)!);
      return;
    }
    if (outcome !== 'failure' || this.open) return;
    const { successes, failures } = this.counts.sum();
    const total = successes + failures;
    if (total >= this.o.volume && (failures / total) * 100 > this.o.threshold) this.trip(faultOf(error)!);
  }

  private trip(fault: Fault): void {
    const now = this.now();
    if (!this.open && now - this.closedAt >= this.o.windowMs) this.level = 0;
    if (fault.refused) this.periodMs = this.o.minResetMs;
    else {
      this.periodMs = Math.min(this.o.maxResetMs, this.o.minResetMs * 2 ** this.level);
      this.level++;
    }
    const fields = { target: this.target, openForMs: this.periodMs, refused: fault.refused === true };
    // Once per outage at warn; the probes that find it still failing, as often as every
    // minResetTimeoutMs, only at debug.
    if (this.open) this.log?.debug(fields, 'circuit probe failed: the circuit stays open');
    else this.log?.warn(fields, 'circuit opened: calls to this service fail fast');
    const from = this.open ? 'half-open' : 'closed';
    this.open = true;
    this.openUntil = now + this.periodMs;
    this.changed(this.target, from, 'open');
  }

  private close(): void {
    this.open = false;
    this.closedAt = this.now();
    // The probe showed the service works: the failures before it say nothing about now.
    this.counts.reset();
    this.log?.info({ target: this.target }, 'circuit closed: the service answers again');
    this.changed(this.target, 'half-open', 'closed');
  }
}

/**
 * One circuit breaker per downstream service. Only faults count as failures (no answer in
 * time, no connection, 5xx); a 4xx answer is the downstream working as designed and never
 * opens a circuit, and a call the caller itself aborted counts for nothing. An open circuit
 * rejects with CircuitOpenError, which says when to try again.
 */
export class Breakers {
  private readonly circuits = new Map<string, Circuit>();
  private readonly gauge: GaugeRegistration;
  private activity: ActivitySink | undefined;

  constructor(
    targets: Iterable<string>,
    private readonly options: BreakerOptions,
    log: Logger | undefined,
    now: () => number = Date.now,
  ) {
    const maxResetMs = options.resetTimeoutMs ?? 10_000;
    const resolved: ResolvedOptions = {
      threshold: options.errorThresholdPercentage ?? 50,
      volume: options.volumeThreshold ?? 10,
      maxResetMs,
      minResetMs: Math.min(options.minResetTimeoutMs ?? 500, maxResetMs),
      windowMs: options.rollingWindowMs ?? 10_000,
    };
    const changed: ChangeListener = (target, from, to) => {
      if (this.activity?.listening) this.activity.emit({ kind: 'breaker', at: Date.now(), target, from, to });
    };
    for (const target of targets) this.circuits.set(target, new Circuit(target, resolved, log, now, changed));
    this.gauge = observeBreakerStates(() =>
      [...this.circuits.keys()].map((target) => ({
        value: BreakerStateValue[this.state(target)],
        attributes: { 'tandem.breaker.target': target },
      })),
    );
  }

  /** Where state changes are reported (the app's activity). */
  attachActivity(sink: ActivitySink): void {
    this.activity = sink;
  }

  /** Runs `action` through the target's breaker. */
  async fire<T>(target: string, action: () => Promise<T>): Promise<T> {
    const circuit = this.circuits.get(target);
    if (!circuit) return action();
    const probe = circuit.admit();
    let result: T;
    try {
      result = await action();
    } catch (error) {
      circuit.record(probe, error);
      throw error;
    }
    circuit.record(probe);
    return result;
  }

  state(target: string): BreakerState {
    return this.circuits.get(target)?.state ?? 'closed';
  }

  snapshot(): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = {};
    for (const [target, circuit] of this.circuits) {
      const { fires, failures, rejects, timeouts } = circuit.counts.sum();
      out[target] = { state: circuit.state, fires, failures, rejects, timeouts };
    }
    return out;
  }

  health(): Record<string, HealthCheck> {
    const checks: Record<string, HealthCheck> = {};
    const counts = this.options.affectsReadiness ?? true;
    for (const target of this.circuits.keys()) {
      const state = this.state(target);
      checks[`breaker:${target}`] = { ok: !counts || state !== 'open', detail: state };
    }
    return checks;
  }

  close(): void {
    this.gauge.stop();
  }
}
