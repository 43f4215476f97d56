/**
 * The sagas among an app's services, and what they need from the app: a store that keeps
 * their instances, the saga clock that sends their timeouts, and their gauges.
 */
import type { Logger } from '../log/logger.js';
import type { GaugeRegistration } from '../metrics/gauges.js';
import type { RetryPolicy } from '../retry/retry-policy.js';
import type { Registry } from '../runtime/registry.js';
import type { ServiceDefinition } from '../runtime/service.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport } from '../transport/broker.js';
import { SagaClock, type SagaClockOptions } from './clock.js';
import { noSagaStore } from './compile.js';
import { isSaga } from './define.js';
import { watchSagaInstances } from './gauges.js';

/** The sagas of one app, from start to stop. */
export class AppSagas {
  private clock: SagaClock | undefined;
  private gauges: GaugeRegistration | undefined;
  private readonly sagas;

  constructor(
    services: readonly ServiceDefinition[],
    private readonly store: Store | undefined,
  ) {
    this.sagas = services.filter(isSaga);
  }

  /** One line per saga the app's store cannot keep, for the app's registration report. */
  problems(): string[] {
    return this.store?.sagas ? [] : this.sagas.map((saga) => noSagaStore(saga.name, this.store));
  }

  /** Hands each saga the store, the app's retry defaults and which commands the app serves. */
  attach(retry: Partial<RetryPolicy> | undefined, registry: Registry): void {
    for (const saga of this.sagas) saga.binding.attach(this.store, retry, (name) => registry.sync.has(name));
  }

  /** Starts the clock (unless `clock` is false) and the gauges, when there are sagas to serve. */
  start(broker: BrokerTransport, log: Logger, clock: SagaClockOptions | false | undefined): void {
    const instances = this.store?.sagas;
    if (this.sagas.length === 0 || !instances) return;
    if (clock !== false) {
      this.clock = new SagaClock(this.store!, broker, log, clock);
      this.clock.start();
    }
    this.gauges = watchSagaInstances(instances, { sagas: this.sagas.map((s) => s.name) });
  }

  /** Stops the clock (waiting for a tick in progress) and the gauges; safe to call twice. */
  async stop(): Promise<void> {
    this.gauges?.stop();
    this.gauges = undefined;
    await this.clock?.stop();
  }
}
