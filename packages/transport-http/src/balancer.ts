import { Pool, type Dispatcher } from 'undici';
import { UnavailableError, type Logger } from '@tandem/core';
import { InstanceHealth, type InstanceState, type ResolvedPassiveHealth } from './balancer-health.js';
import { faultOf, httpStatusOf } from './client-send.js';

/** One instance of a service as the client's balancer sees it. */
export interface InstanceSnapshot {
  /** `http://10.0.0.7:3000` */
  origin: string;
  state: InstanceState;
  inFlight: number;
}

interface Instance {
  origin: string;
  pool: Pool;
  health: InstanceHealth;
  inFlight: number;
}

/**
 * Whether the instance certainly ran nothing for the call (see Fault.notRun): it was never
 * sent, or the server refused it before any handler. Read from how this client saw the
 * failure, never from an error code in the answer or in a cause, which a handler or a
 * proxy could have set after work was done.
 */
function notRun(error: unknown): boolean {
  return faultOf(error)?.notRun === true;
}

/**
 * Client-side balancing over the instances of one service: an undici Pool per instance,
 * round robin over those in rotation, passive health per instance (see InstanceHealth).
 * undici's BalancedPool does not tell which upstream served a request, so it cannot eject
 * one; this keeps the pools apart to learn it. When every instance is ejected, calls go
 * to all of them rather than none (the service's circuit breaker decides when to stop).
 * A call that never left (no connection) or that a Tandem server refused before running
 * any handler (not started, stopping) moves on to the next instance at once: the call never
 * ran, so this is not a retry and needs no idempotency.
 */
export class Balancer {
  private instances: Instance[] = [];
  private cursor = 0;

  constructor(
    readonly service: string,
    private readonly poolOptions: Pool.Options,
    private readonly healthOptions: ResolvedPassiveHealth,
    private readonly log: Logger | undefined,
  ) {}

  get size(): number {
    return this.instances.length;
  }

  /** Sets the instance list: new origins join, removed ones leave rotation now and close once their calls end. */
  update(origins: readonly string[]): void {
    const wanted = new Set(origins);
    const kept = this.instances.filter((instance) => wanted.has(instance.origin));
    for (const instance of this.instances) {
      if (wanted.has(instance.origin)) continue;
      this.log?.info({ target: this.service, instance: instance.origin }, 'instance removed from discovery: draining');
      instance.pool.close().catch(() => undefined);
    }
    const known = new Set(kept.map((instance) => instance.origin));
    for (const origin of wanted) {
      if (known.has(origin)) continue;
      kept.push({
        origin,
        pool: new Pool(origin, this.poolOptions),
        health: new InstanceHealth(this.healthOptions),
        inFlight: 0,
      });
    }
    this.instances = kept;
  }

  /** Round robin over the untried instances in rotation, or over all untried ones when none is. */
  private pick(tried: ReadonlySet<Instance> | undefined): Instance | undefined {
    let available = 0;
    let untried = 0;
    for (const instance of this.instances) {
      if (tried?.has(instance)) continue;
      untried++;
      if (instance.health.available()) available++;
    }
    if (untried === 0) return undefined;
    this.cursor = (this.cursor + 1) % 1_000_000_007;
    let skip = this.cursor % (available > 0 ? available : untried);
    for (const instance of this.instances) {
      if (tried?.has(instance) || (available > 0 && !instance.health.available())) continue;
      if (skip-- === 0) return instance;
    }
    // Ejections only end as time passes, so the second pass has at least the candidates the first counted.
    return this.instances.find((instance) => !tried?.has(instance));
  }

  /** Runs `send` against one instance, learning its health from the outcome. */
  async send<T>(send: (dispatcher: Dispatcher) => Promise<T>): Promise<T> {
    let tried: Set<Instance> | undefined;
    for (;;) {
      const instance = this.pick(tried);
      if (!instance) throw new UnavailableError(`service '${this.service}' has no instances to call`);
      const probe = instance.health.begin();
      instance.inFlight++;
      try {
        const result = await send(instance.pool);
        this.answered(instance);
        return result;
      } catch (error) {
        this.learn(instance, probe, error);
        (tried ??= new Set()).add(instance);
        if (!notRun(error) || !this.instances.some((other) => !tried!.has(other))) throw error;
      } finally {
        instance.inFlight--;
      }
    }
  }

  private answered(instance: Instance): void {
    if (instance.health.state === 'ejected') {
      this.log?.info({ target: this.service, instance: instance.origin }, 'instance answers again: back in rotation');
    }
    instance.health.succeeded();
  }

  private learn(instance: Instance, probe: boolean, error: unknown): void {
    const fault = faultOf(error);
    if (fault === undefined) {
      // An answer below 500 is the instance working; anything else (the caller's own abort) says nothing about it.
      const status = httpStatusOf(error);
      if (status !== undefined && status < 500) this.answered(instance);
      else instance.health.released(probe);
      return;
    }
    const wasHealthy = instance.health.state === 'healthy';
    const ejectedForMs = fault.refused ? instance.health.refused(probe) : instance.health.failed(probe);
    if (ejectedForMs === undefined) return;
    const fields = { target: this.service, instance: instance.origin, ejectedForMs, probe: !wasHealthy };
    if (!fault.refused) this.log?.warn(fields, 'instance taken out of rotation after repeated faults');
    // A refusing instance is probed every ejectionMs: say so once, not at every probe.
    else if (wasHealthy) this.log?.warn(fields, 'instance taken out of rotation: it refuses calls');
    else this.log?.debug(fields, 'instance still refuses calls');
  }

  snapshot(): InstanceSnapshot[] {
    return this.instances.map(({ origin, health, inFlight }) => ({ origin, state: health.state, inFlight }));
  }

  async close(): Promise<void> {
    const instances = this.instances;
    this.instances = [];
    await Promise.all(instances.map(({ pool }) => pool.close()));
  }
}
