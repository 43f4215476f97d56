import { safeParse } from '../middleware/validation.js';
import type {
  CommandContract,
  DataOf,
  EventContract,
  InputOf,
  OutputOf,
  QueryContract,
  SyncContract,
} from '../contracts/contracts.js';
import { redactCredentials } from '../config/redact.js';
import { readService } from '../decorators/decorators.js';
import { AbortedError, RegistrationError } from '../errors/errors.js';
import { createLogger, type Logger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import { traceSend } from '../tracing/messaging-spans.js';
import { outboxRelay, type OutboxRelay } from '../outbox/relay.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport, Subscription } from '../transport/broker.js';
import { MemoryTransport } from '../transport/memory/memory-broker.js';
import { createMessageHandler } from './consume.js';
import type { CallOptions, PublishOptions } from './handler-context.js';
import { Registry } from './registry.js';
import { Runtime } from './runtime.js';
import {
  ServiceBuilder,
  type CommandHandler,
  type EventHandler,
  type EventHandlerOptions,
  type HandlerOptions,
  type QueryHandler,
  type ServiceDefinition,
} from './service.js';
import type { HealthReport, SyncEndpoint, SyncHost } from './sync-host.js';
import type { AppOptions } from './app-options.js';
import { AppSagas } from '../sagas/app-sagas.js';
import { appReplay, consumedContracts, type AppReplayOptions } from '../replay/app-replay.js';
import { groupConcurrency } from './group-concurrency.js';
import type { App, AppState } from './app-interface.js';

export type { App, AppState } from './app-interface.js';
import type { ReplayResult } from '../replay/replay.js';
import { ActivityHub, reportPublished, type ActivitySource } from '../activity/activity.js';
import { describeApp, type AppModel } from '../docs/app-model.js';
import { context } from '@opentelemetry/api';

/** Makes an app from services (decorated classes or service() definitions), a broker and a store; call start() to run it. Example: `const app = createApp({ services: [Orders] }); await app.start();` */
export function createApp(options: AppOptions = {}): App {
  return new TandemApp(options);
}

class TandemApp implements App {
  state: AppState = 'created';
  readonly broker: BrokerTransport;
  readonly store: Store | undefined;
  private readonly log: Logger;
  private readonly implicit: ServiceBuilder;
  private runtime: Runtime | undefined;
  private subscriptions: Subscription[] = [];
  private relay: OutboxRelay | undefined;
  private sagas: AppSagas | undefined;
  private described: AppModel | undefined;
  private definitions: ServiceDefinition[] | undefined;
  private readonly hub: ActivityHub;

  constructor(private readonly options: AppOptions) {
    this.broker = options.broker ?? new MemoryTransport();
    this.store = options.store;
    this.log =
      options.logger ?? createLogger({ level: (process.env.TANDEM_LOG_LEVEL as 'info' | undefined) ?? 'info' });
    this.implicit = new ServiceBuilder(options.name ?? 'app');
    this.hub = new ActivityHub(this.log);
    options.clients?.attachActivity?.(this.hub);
  }

  get activity(): ActivitySource {
    return this.hub;
  }

  model(): AppModel {
    if (this.described) return this.described;
    // Before start, handlers can still be added; from then on the model is that of the definitions it runs.
    if (!this.definitions)
      return describeApp([
        ...(this.options.services ?? []),
        ...(this.implicit.handlers.length > 0 ? [this.implicit] : []),
      ]);
    return (this.described = describeApp(this.definitions));
  }

  get endpoints(): SyncEndpoint[] {
    if (!this.runtime) return [];
    return [...this.runtime.deps.registry.sync.values()].map((reg) => ({
      contract: reg.contract as SyncContract,
      service: reg.service,
      ...((reg.contract as SyncContract).route ? { route: (reg.contract as SyncContract).route! } : {}),
    }));
  }

  command<C extends CommandContract>(contract: C, fn: CommandHandler<C>, options?: HandlerOptions): this {
    this.beforeStart('command');
    this.implicit.command(contract, fn, options);
    return this;
  }

  query<C extends QueryContract>(contract: C, fn: QueryHandler<C>, options?: HandlerOptions): this {
    this.beforeStart('query');
    this.implicit.query(contract, fn, options);
    return this;
  }

  onEvent<E extends EventContract>(contract: E, fn: EventHandler<E>, options?: EventHandlerOptions): this {
    this.beforeStart('onEvent');
    this.implicit.onEvent(contract, fn, options);
    return this;
  }

  private beforeStart(what: string): void {
    if (this.state !== 'created')
      throw new RegistrationError(`app.${what}() after start(): register handlers before the app starts`);
  }

  async start(): Promise<void> {
    if (this.state !== 'created') throw new RegistrationError(`app.start() called twice (state: ${this.state})`);
    this.state = 'starting';
    try {
      const services: ServiceDefinition[] = [];
      const problems: string[] = [];
      for (const input of this.options.services ?? []) {
        const read = readService(input);
        problems.push(...read.problems);
        if (read.definition) services.push(read.definition);
      }
      if (this.implicit.handlers.length > 0) services.push(this.implicit);
      this.definitions = services;
      const sagas = new AppSagas(services, this.store);
      this.sagas = sagas;
      problems.push(...sagas.problems());
      const registry = new Registry(services, {
        problems,
        ...(this.options.retry ? { retry: this.options.retry } : {}),
      });
      sagas.attach(this.options.retry, registry);
      const runtime = new Runtime({
        registry,
        broker: this.broker,
        store: this.store,
        clients: this.options.clients,
        middleware: this.options.middleware ?? [],
        log: this.log,
        checkOutput: this.options.checkOutput ?? process.env.NODE_ENV !== 'production',
        activity: this.hub,
        ...(this.options.idempotency ? { idempotency: this.options.idempotency } : {}),
        ...(this.options.validation ? { validation: this.options.validation } : {}),
      });
      this.runtime = runtime;
      await this.store?.connect?.();
      await this.broker.connect();
      if (this.store?.outbox && this.options.relay !== false) {
        this.relay = outboxRelay(this.store.outbox, this.broker, { log: this.log, ...this.options.relay });
        await this.relay.start();
      }
      sagas.start(this.broker, this.log, this.options.sagaClock);
      runtime.accepting = true;
      for (const group of registry.groups.values()) {
        const concurrency = groupConcurrency([...group.handlers.values()], this.options.concurrency ?? 16);
        const subscription = await this.broker.subscribe(
          { topics: [...group.topics], group: group.name, concurrency },
          createMessageHandler(
            runtime,
            group,
            this.options.retry,
            this.options.crashLoopLimit,
            this.options.unknownTypeLogIntervalMs,
            this.hub,
          ),
        );
        this.subscriptions.push(subscription);
      }
      await Promise.all(this.subscriptions.map((s) => s.ready));
      await this.options.http?.start(this.syncHost(runtime));
      this.state = 'running';
      const url = this.options.http?.url;
      this.log.info(
        {
          services: services.map((s) => s.name),
          broker: this.broker.name,
          store: this.store?.name ?? 'none',
          groups: [...registry.groups.keys()],
          ...(url ? { url } : {}),
        },
        url ? `tandem app started, listening on ${url}` : 'tandem app started',
      );
    } catch (error) {
      this.state = 'stopped';
      if (this.runtime) this.runtime.accepting = false;
      await this.closeAll().catch(() => undefined);
      throw error;
    }
  }

  private syncHost(runtime: Runtime): SyncHost {
    const endpoints = this.endpoints;
    const health = () => this.health();
    const registry = runtime.deps.registry.sync;
    // By the endpoint object a server got from `endpoints`: an identity lookup per request.
    const byEndpoint = new Map(endpoints.map((endpoint) => [endpoint, registry.get(endpoint.contract.name)!]));
    const handlerOf = (endpoint: SyncEndpoint) => byEndpoint.get(endpoint) ?? registry.get(endpoint.contract.name)!;
    return {
      endpoints,
      invoke: (endpoint, input, request) => runtime.invoke(handlerOf(endpoint), input, request),
      dispatch: (endpoint, input, request, reply) => runtime.dispatch(handlerOf(endpoint), input, request, reply),
      get accepting() {
        return runtime.accepting;
      },
      health,
      replay: (options) => this.replay(options),
      app: this,
      ...(this.broker.deadLetters
        ? { deadLetters: { groups: [...runtime.deps.registry.groups.keys()], access: this.broker.deadLetters } }
        : {}),
    };
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping' || this.state === 'created') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    const runtime = this.runtime!;
    runtime.accepting = false;
    const deadline = this.options.shutdownTimeoutMs ?? 10_000;
    this.options.http?.drain?.(deadline);
    const closing = Promise.all(this.subscriptions.map((s) => s.close()));
    const drained = await runtime.inFlight.drain(deadline);
    if (!drained) {
      this.log.warn({ inFlight: runtime.inFlight.size }, 'shutdown deadline passed; aborting in-flight handlers');
      runtime.inFlight.abortAll(new AbortedError('the app is stopping and its shutdown deadline passed'));
      // Aborted runs end at once; their rollbacks and the consumers' last acks get a short grace.
      await runtime.inFlight.drain(Math.min(deadline, 2_000));
    }
    if (!(await within(closing, Math.min(deadline, 2_000))))
      this.log.warn({}, 'consumers did not close within the shutdown deadline; closing the broker under them');
    this.subscriptions = [];
    await this.sagas?.stop();
    // Events committed by the handlers that just drained go out before the broker closes.
    await this.relay?.stop({ drainMs: Math.min(deadline, 5_000) });
    await this.closeAll();
    this.state = 'stopped';
    this.log.info({}, 'tandem app stopped');
  }

  private async closeAll(): Promise<void> {
    await this.sagas?.stop();
    await this.options.http?.stop();
    await this.relay?.stop();
    await this.broker.close();
    await this.options.clients?.close?.();
    await this.store?.close?.();
  }

  call<C extends SyncContract>(contract: C, input: InputOf<C>, options: CallOptions = {}): Promise<OutputOf<C>> {
    if (!this.runtime) return Promise.reject(new RegistrationError('app.call() before start(): start the app first'));
    return this.runtime.call(contract, input, options) as Promise<OutputOf<C>>;
  }

  async publish<E extends EventContract>(
    event: E,
    data: DataOf<E>,
    options: PublishOptions & { source?: string } = {},
  ): Promise<void> {
    // Synchronously where the schema allows it (most do): zod's async parse skips its compiled
    // fast path and costs several times as much on every publish.
    const result = safeParse(event.data, data);
    const checked = result instanceof Promise ? await result : result;
    if (!checked.success) throw checked.error;
    const parsed = checked.data as DataOf<E>;
    const message = encodeEvent(event, parsed, {
      source: options.source ?? this.options.name ?? 'app',
      ...(options.key !== undefined ? { key: options.key } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    traceSend(message, this.broker.name);
    await this.broker.publish([message]);
    if (this.hub.listening)
      reportPublished(this.hub, message, options.source ?? this.options.name ?? 'app', context.active());
  }

  replay(options: AppReplayOptions): Promise<ReplayResult> {
    if (this.state !== 'running')
      return Promise.reject(new RegistrationError(`app.replay() needs a running app (state: ${this.state})`));
    return appReplay(this.broker, this.store, consumedContracts(this.runtime!.deps.registry), options);
  }

  async health(): Promise<HealthReport> {
    const checks: HealthReport['checks'] = {};
    checks.runtime = { ok: this.state === 'running', detail: this.state };
    checks.broker = this.broker.health?.() ?? { ok: this.state === 'running' };
    if (this.relay) checks.outbox = this.relay.health();
    Object.assign(checks, this.options.clients?.health?.());
    if (this.store?.health) {
      checks.store = await this.store.health().catch((error: unknown) => ({ ok: false, detail: String(error) }));
    }
    // /health/ready may be open to anyone: whatever an adapter or a driver's error put in a
    // detail, no URL user or password leaves through it.
    for (const [name, check] of Object.entries(checks)) {
      if (check.detail !== undefined) checks[name] = { ...check, detail: redactCredentials(check.detail) };
    }
    return { live: this.state !== 'stopped', ready: Object.values(checks).every((c) => c.ok), checks };
  }
}

/** Whether `work` settled within `ms`. */
function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}
