/** When the client takes an instance out of rotation after failures, and for how long. */
export interface PassiveHealthOptions {
  /** Faults in a row (no connection, no answer in time, 5xx) that take an instance out of rotation. Default 3. */
  consecutiveFailures?: number;
  /**
   * How long the first ejection lasts; each ejection in a row doubles it, up to `maxEjectionMs`.
   * An instance that refuses calls (connection refused, or not started or stopping) is out
   * at once, for this long each time, without doubling. Default 1 s.
   */
  ejectionMs?: number;
  /** Default 30 s. */
  maxEjectionMs?: number;
}

export type ResolvedPassiveHealth = Required<PassiveHealthOptions>;

export function resolvePassiveHealth(options: PassiveHealthOptions | undefined): ResolvedPassiveHealth {
  const resolved = {
    consecutiveFailures: options?.consecutiveFailures ?? 3,
    ejectionMs: options?.ejectionMs ?? 1_000,
    maxEjectionMs: options?.maxEjectionMs ?? 30_000,
  };
  resolved.maxEjectionMs = Math.max(resolved.maxEjectionMs, resolved.ejectionMs);
  return resolved;
}

/** Whether an instance is in rotation or ejected. */
export type InstanceState = 'healthy' | 'ejected';

/**
 * Passive health of one instance, learnt from the calls it serves. Enough faults in a row
 * eject it; when the ejection ends one probe call goes to it, and an answer brings it back
 * while another fault ejects it again for twice as long. While it is ejected, faults of
 * calls sent before the ejection change nothing (they were already counted), but any
 * answer brings it back: it works again.
 *
 * A refusal (nothing listens, or the instance says it is not serving now) ejects at once
 * but never for longer than `ejectionMs`: it is what a restarting instance answers, a
 * refused probe costs next to nothing, and the instance should get calls as soon as it
 * listens again rather than after a period that grew while it was down.
 */
export class InstanceHealth {
  private failures = 0;
  private ejections = 0;
  private ejectedUntil: number | undefined;
  private probing = false;

  constructor(
    private readonly options: ResolvedPassiveHealth,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): InstanceState {
    return this.ejectedUntil === undefined ? 'healthy' : 'ejected';
  }

  /** Whether the balancer may pick it: healthy, or its ejection is over and no probe is out. */
  available(): boolean {
    if (this.ejectedUntil === undefined) return true;
    return !this.probing && this.now() >= this.ejectedUntil;
  }

  /** A call goes to this instance; true when that call is the probe after an ejection. */
  begin(): boolean {
    if (this.ejectedUntil === undefined || this.probing || this.now() < this.ejectedUntil) return false;
    this.probing = true;
    return true;
  }

  /** The instance answered (any status below 500). */
  succeeded(): void {
    this.failures = 0;
    this.ejections = 0;
    this.ejectedUntil = undefined;
    this.probing = false;
  }

  /** A fault; returns the ejection period when this fault ejects the instance. */
  failed(probe: boolean): number | undefined {
    if (this.ejectedUntil !== undefined && !probe) return undefined;
    this.failures++;
    if (!probe && this.failures < this.options.consecutiveFailures) return undefined;
    const period = Math.min(this.options.maxEjectionMs, this.options.ejectionMs * 2 ** this.ejections);
    this.ejections++;
    this.ejectedUntil = this.now() + period;
    this.probing = false;
    return period;
  }

  /** The instance refused the call; returns the ejection period when this refusal starts or renews one. */
  refused(probe: boolean): number | undefined {
    if (this.ejectedUntil !== undefined && !probe) return undefined;
    this.failures++;
    this.ejectedUntil = this.now() + this.options.ejectionMs;
    this.probing = false;
    return this.options.ejectionMs;
  }

  /** The probe ended without an answer or a fault (the caller gave up): the next call probes. */
  released(probe: boolean): void {
    if (probe) this.probing = false;
  }
}
