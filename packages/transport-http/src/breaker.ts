import CircuitBreaker from 'opossum';
import {
  BreakerStateValue,
  CircuitOpenError,
  observeBreakerStates,
  type GaugeRegistration,
  type HealthCheck,
  type Logger,
} from '@tandem/core';
import { faultOf } from './client-send.js';

export interface BreakerOptions {
  /** Failure rate (percent of calls in the rolling window) above which the circuit opens. Default 50. */
  errorThresholdPercentage?: number;
  /** Calls needed in the window before the rate counts. Default 10. */
  volumeThreshold?: number;
  /** How long an open circuit fails fast before one half-open probe is let through. Default 10 s. */
  resetTimeoutMs?: number;
  /** The rolling window the failure rate is measured over. Default 10 s. */
  rollingWindowMs?: number;
  /** Whether an open circuit makes the app not ready (`/health/ready` 503). Default true. */
  affectsReadiness?: boolean;
}

export type BreakerState = keyof typeof BreakerStateValue;

export interface BreakerSnapshot {
  state: BreakerState;
  /** Calls, failures, rejections (failed fast) and timeouts in the rolling window. */
  fires: number;
  failures: number;
  rejects: number;
  timeouts: number;
}

type Action = () => Promise<unknown>;

/**
 * One opossum circuit breaker per downstream service. Only faults count as failures
 * (no answer in time, no connection, 5xx); a 4xx answer is the downstream working as
 * designed and never opens a circuit. An open circuit rejects with CircuitOpenError,
 * which says when to try again; after `resetTimeoutMs` one probe goes through, and its
 * outcome closes or reopens the circuit.
 */
export class Breakers {
  private readonly breakers = new Map<string, CircuitBreaker<[Action], unknown>>();
  private readonly openedAt = new Map<string, number>();
  private readonly gauge: GaugeRegistration;
  private readonly resetTimeoutMs: number;

  constructor(
    targets: Iterable<string>,
    private readonly options: BreakerOptions,
    private readonly log: Logger | undefined,
  ) {
    this.resetTimeoutMs = options.resetTimeoutMs ?? 10_000;
    for (const target of targets) this.breakers.set(target, this.create(target));
    this.gauge = observeBreakerStates(() =>
      [...this.breakers.keys()].map((target) => ({
        value: BreakerStateValue[this.state(target)],
        attributes: { 'tandem.breaker.target': target },
      })),
    );
  }

  private create(target: string): CircuitBreaker<[Action], unknown> {
    const breaker = new CircuitBreaker<[Action], unknown>((action: Action) => action(), {
      name: target,
      // Deadlines are the client's business (they travel to the callee); opossum's own timer stays off.
      timeout: false,
      errorThresholdPercentage: this.options.errorThresholdPercentage ?? 50,
      volumeThreshold: this.options.volumeThreshold ?? 10,
      resetTimeout: this.resetTimeoutMs,
      rollingCountTimeout: this.options.rollingWindowMs ?? 10_000,
      rollingPercentilesEnabled: false,
      errorFilter: (error: unknown) => faultOf(error) === undefined,
    });
    breaker.on('open', () => {
      this.openedAt.set(target, Date.now());
      this.log?.warn(
        { target, resetTimeoutMs: this.resetTimeoutMs },
        'circuit opened: calls to this service fail fast',
      );
    });
    breaker.on('halfOpen', () => this.log?.info({ target }, 'circuit half-open: letting one probe through'));
    breaker.on('close', () => this.log?.info({ target }, 'circuit closed: the service answers again'));
    return breaker;
  }

  /** Runs `action` through the target's breaker. */
  async fire<T>(target: string, action: () => Promise<T>): Promise<T> {
    const breaker = this.breakers.get(target);
    if (!breaker) return action();
    try {
      return (await breaker.fire(action)) as T;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EOPENBREAKER') throw this.openError(target);
      throw error;
    }
  }

  private openError(target: string): CircuitOpenError {
    const since = this.openedAt.get(target) ?? Date.now();
    const retryAfterSeconds = Math.max(1, Math.ceil((since + this.resetTimeoutMs - Date.now()) / 1000));
    return new CircuitOpenError(
      `calls to service '${target}' fail fast: its circuit breaker is open after repeated failures; retry in ${retryAfterSeconds} s`,
      { details: { target, retryAfterSeconds } },
    );
  }

  state(target: string): BreakerState {
    const breaker = this.breakers.get(target);
    if (!breaker || breaker.closed) return 'closed';
    return breaker.halfOpen ? 'half-open' : 'open';
  }

  snapshot(): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = {};
    for (const [target, breaker] of this.breakers) {
      const { fires, failures, rejects, timeouts } = breaker.stats;
      out[target] = { state: this.state(target), fires, failures, rejects, timeouts };
    }
    return out;
  }

  health(): Record<string, HealthCheck> {
    const checks: Record<string, HealthCheck> = {};
    const counts = this.options.affectsReadiness ?? true;
    for (const target of this.breakers.keys()) {
      const state = this.state(target);
      checks[`breaker:${target}`] = { ok: !counts || state !== 'open', detail: state };
    }
    return checks;
  }

  close(): void {
    this.gauge.stop();
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }
}
