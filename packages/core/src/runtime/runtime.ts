import { context, type Context } from '@opentelemetry/api';
import { activeTracer } from '../tracing/tracer.js';
import type { SyncContract } from '../contracts/contracts.js';
import { ConfigError, ShuttingDownError } from '../errors/errors.js';
import type { Middleware } from '../middleware/compose.js';
import type { ValidationLimits } from '../middleware/validation-limits.js';
import type { Logger } from '../log/logger.js';
import { uuidv7 } from '../messages/uuid.js';
import type { IdempotencyStore, Store } from '../stores/store.js';
import type { BrokerTransport, IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import { CallHeader, type CallTransport } from './call-transport.js';
import { RunContext, type ContextDeps } from './context-factory.js';
import type { CallOptions, HandlerMeta } from './handler-context.js';
import { InFlight } from './in-flight.js';
import { RunAbort, type CancelSource } from './run-abort.js';
import type { Invocation } from './invocation.js';
import type { Registry } from './registry.js';
import type { HandlerRegistration } from './service.js';
import type { InvokeReply, InvokeRequest } from './sync-host.js';
import type { IdempotencyOptions, IdempotencySettings } from './idempotency.js';
import { handlerSteps, idempotencySettings, type HandlerSteps } from './handler-steps.js';
import { errorName, traceIdOf, type ActivitySink } from '../activity/activity.js';

export interface RuntimeDeps {
  registry: Registry;
  broker: BrokerTransport;
  store: Store | undefined;
  clients: CallTransport | undefined;
  middleware: ReadonlyArray<Middleware<Invocation>>;
  log: Logger;
  checkOutput: boolean;
  idempotency?: IdempotencyOptions;
  validation?: ValidationLimits;
  /** Where runs are reported while someone watches (app.activity). */
  activity?: ActivitySink;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One run as the runtime tracks it. */
interface Run extends Invocation {
  readonly ctx: RunContext;
  readonly steps: HandlerSteps;
  /** From HandlerMetrics.start. */
  readonly startedAt: number;
  /** performance.now() at start while the app's activity is watched, else -1. */
  readonly watchedAt: number;
  readonly trace: Context | undefined;
}

interface RunOptions {
  signal?: AbortSignal;
  onCancel?: InvokeRequest['onCancel'];
  message?: IncomingMessage;
  trace?: Context;
  joined?: RunContext;
}

/**
 * Runs handlers. Each handler's steps are built once at start (see handler-steps.ts). A run
 * ends in one place (`succeeded`/`failed`), which sends the events still pending, records
 * the handler's duration and leaves the in-flight count: one promise reaction after the
 * handler's own for most requests.
 */
export class Runtime {
  readonly inFlight = new InFlight();
  accepting = false;
  private readonly steps: ReadonlyMap<HandlerRegistration, HandlerSteps>;
  private readonly contextDeps: ContextDeps;
  private readonly keys: IdempotencySettings;
  private readonly activity: ActivitySink | undefined;

  constructor(readonly deps: RuntimeDeps) {
    this.contextDeps = {
      log: deps.log,
      call: (c, i, o, parent, trace, caller) => this.call(c, i, o, parent, trace, caller),
      system: deps.broker.name,
      ...(deps.activity ? { activity: deps.activity } : {}),
    };
    this.keys = idempotencySettings(deps);
    this.activity = deps.activity;
    this.steps = handlerSteps(deps, this.keys);
  }

  /** The store idempotency keys are kept in, for servers and tools. */
  get idempotencyStore(): IdempotencyStore {
    return this.keys.store;
  }

  /** One run of a handler with a fresh context; `meta` says what started it. */
  run(reg: HandlerRegistration, input: unknown, meta: HandlerMeta, options: RunOptions = {}): Promise<unknown> {
    const run = this.begin(reg, input, meta, options);
    return this.execute(run, options.trace).then(
      (result) => (run.pending.length > 0 ? this.sendPending(run, result) : this.succeeded(run, result)),
      (error: unknown) => {
        this.failed(run, error);
        throw error;
      },
    );
  }

  /**
   * As `run`, with the outcome handed to `reply` (a consumer's delivery): no promise for the
   * consumer to chain, so an event costs one promise and one reaction fewer. `reply`'s
   * methods must not throw.
   */
  runTo(reg: HandlerRegistration, input: unknown, meta: HandlerMeta, options: RunOptions, reply: InvokeReply): void {
    const run = this.begin(reg, input, meta, options);
    this.execute(run, options.trace).then(
      (result) => {
        if (run.pending.length === 0) reply.resolve(this.succeeded(run, result));
        else
          this.sendPending(run, result).then(
            (value) => reply.resolve(value),
            (error: unknown) => reply.reject(error),
          );
      },
      (error: unknown) => {
        this.failed(run, error);
        reply.reject(error);
      },
    );
  }

  /** A sync request from a server adapter (or an in-process call). */
  invoke(reg: HandlerRegistration, input: unknown, request: InvokeRequest, joined?: RunContext): Promise<unknown> {
    if (!this.accepting) return Promise.reject(this.refusal(reg));
    const options = joined ? { ...request, joined } : request;
    const run = this.begin(reg, input, this.metaOf(reg, request), options);
    return this.execute(run, request.trace).then(
      (result) => {
        if (run.replayed) request.replayed = true;
        return run.pending.length > 0 ? this.sendPending(run, result) : this.succeeded(run, result);
      },
      (error: unknown) => {
        if (run.replayed) request.replayed = true;
        this.failed(run, error);
        throw error;
      },
    );
  }

  /**
   * As `invoke`, with the outcome handed to `reply`: no promise for the server to chain,
   * so a request costs one promise reaction fewer. `reply`'s methods must not throw.
   */
  dispatch(reg: HandlerRegistration, input: unknown, request: InvokeRequest, reply: InvokeReply): void {
    if (!this.accepting) return reply.reject(this.refusal(reg));
    const run = this.begin(reg, input, this.metaOf(reg, request), request);
    this.execute(run, request.trace).then(
      (result) => {
        if (run.replayed) request.replayed = true;
        if (run.pending.length === 0) reply.resolve(this.succeeded(run, result));
        else
          this.sendPending(run, result).then(
            (value) => reply.resolve(value),
            (error: unknown) => reply.reject(error),
          );
      },
      (error: unknown) => {
        if (run.replayed) request.replayed = true;
        this.failed(run, error);
        reply.reject(error);
      },
    );
  }

  private refusal(reg: HandlerRegistration): ShuttingDownError {
    return new ShuttingDownError(`service '${reg.service}' is shutting down and takes no new requests`);
  }

  private metaOf(reg: HandlerRegistration, request: InvokeRequest): HandlerMeta {
    const messageId = uuidv7();
    const meta: Mutable<HandlerMeta> = {
      kind: reg.kind,
      name: reg.contract.name,
      service: reg.service,
      messageId,
      attempt: 1,
      correlationId: request.correlationId ?? messageId,
      headers: request.headers ?? {},
    };
    // Assigned rather than spread: this runs for every request.
    if (request.causationId !== undefined) meta.causationId = request.causationId;
    if (request.idempotencyKey !== undefined) meta.idempotencyKey = request.idempotencyKey;
    if (request.timeoutMs !== undefined) meta.deadline = Date.now() + request.timeoutMs;
    if (request.principal !== undefined) meta.principal = request.principal;
    return meta;
  }

  private begin(reg: HandlerRegistration, input: unknown, meta: HandlerMeta, options: RunOptions): Run {
    const controller = new RunAbort();
    if (options.signal) controller.follow(options.signal);
    const pending: OutgoingMessage[] = [];
    const ctx = new RunContext(this.contextDeps, reg, meta, controller, pending, options.trace);
    const steps = this.steps.get(reg)!;
    // Every field set, even when undefined, so all runs share one shape.
    const run: Run = {
      registration: reg,
      contract: reg.contract,
      input,
      ctx,
      controller,
      pending,
      message: options.message,
      joined: options.joined,
      settlement: undefined,
      committing: false,
      idempotency: undefined,
      joinedClaim: undefined,
      replayed: false,
      steps,
      startedAt: steps.metrics.start(),
      watchedAt: this.activity?.listening === true ? performance.now() : -1,
      trace: options.trace,
    };
    // The request itself is the source: called as its method, so a server's class keeps `this`.
    if (options.onCancel) controller.cancelledBy(options as CancelSource);
    this.inFlight.enter(controller);
    return run;
  }

  /** The run's steps, as a promise even when one throws. */
  private execute(run: Run, trace: Context | undefined): Promise<unknown> {
    const steps = run.steps;
    const meta = run.ctx.meta;
    const step =
      steps.direct !== undefined && meta.deadline === undefined && meta.idempotencyKey === undefined
        ? steps.direct
        : steps.full;
    try {
      // With a tracing SDK, the handler runs with its server or consumer span active, so
      // spans the user's own instrumentation makes inside it (a database call) nest there.
      if (trace && activeTracer()) return context.with(trace, step, undefined, run);
      return step(run);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Events the handler published and its steps did not send (see HandlerSteps.direct): sent before the run counts as done. */
  private sendPending(run: Run, result: unknown): Promise<unknown> {
    if (run.controller.aborted) {
      const reason = run.controller.reason;
      this.failed(run, reason);
      return Promise.reject(reason);
    }
    return this.deps.broker.publish(run.pending.splice(0)).then(
      () => this.succeeded(run, result),
      (error: unknown) => {
        this.failed(run, error);
        throw error;
      },
    );
  }

  private succeeded(run: Run, result: unknown): unknown {
    this.inFlight.leave(run.controller);
    run.steps.metrics.succeeded(run.startedAt);
    if (run.watchedAt >= 0) this.report(run, undefined);
    return result;
  }

  /** The run is answered; it counts as in flight until its unit of work has settled too. */
  private failed(run: Run, error: unknown): void {
    run.steps.metrics.failed(run.startedAt, error);
    if (run.watchedAt >= 0) this.report(run, error);
    if (run.settlement) run.settlement.then(() => this.inFlight.leave(run.controller));
    else this.inFlight.leave(run.controller);
  }

  /**
   * A command's or query's run, for the app's activity. Event runs are reported by their
   * consumer (consume.ts), which knows whether a failure is retried or dead-lettered.
   */
  private report(run: Run, error: unknown): void {
    const reg = run.registration;
    if (reg.kind === 'event' || !this.activity?.listening) return;
    const traceId = traceIdOf(run.trace);
    this.activity.emit({
      kind: 'handler',
      at: Date.now(),
      service: reg.service,
      handler: reg.contract.name,
      handlerKind: reg.kind,
      outcome: error === undefined ? 'ok' : 'error',
      durationMs: performance.now() - run.watchedAt,
      ...(error !== undefined ? { error: errorName(error) } : {}),
      ...(traceId !== undefined ? { traceId } : {}),
    });
  }

  /** `ctx.call` and `app.call`: in process when this app serves the contract, else through the call transport. */
  call(
    contract: SyncContract,
    input: unknown,
    options: CallOptions,
    parent?: HandlerMeta,
    trace?: Context,
    caller?: RunContext,
  ): Promise<unknown> {
    // The sooner of the caller's own deadline and this call's timeout, if either is set.
    const own = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined;
    const inherited = parent?.deadline;
    const deadline = own === undefined ? inherited : inherited === undefined ? own : Math.min(own, inherited);
    const local = this.deps.registry.sync.get(contract.name);
    if (local) {
      // A caller whose deferred transaction is not open yet has none to join: the call runs on
      // its own, aborted with its caller as a call over HTTP would be.
      const apart = caller !== undefined && !caller.joinsCalls;
      const signal = apart
        ? options.signal
          ? AbortSignal.any([options.signal, caller.signal])
          : caller.signal
        : options.signal;
      return this.invoke(
        local,
        input,
        {
          headers: options.headers ?? {},
          ...(signal ? { signal } : {}),
          ...(deadline !== undefined ? { timeoutMs: deadline - Date.now() } : {}),
          ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
          ...(parent ? { correlationId: parent.correlationId, causationId: parent.messageId } : {}),
          ...(trace ? { trace } : {}),
        },
        apart ? undefined : caller,
      );
    }
    const clients = this.deps.clients;
    if (!clients) {
      return Promise.reject(
        new ConfigError(
          `no route for ${contract.kind} '${contract.name}': service '${contract.service}' is not in this app; ` +
            `pass clients: httpClient({ services: { ${contract.service}: 'http://host:port' } }) to createApp, ` +
            `or set TANDEM_SERVICE_${contract.service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`,
        ),
      );
    }
    const headers: Record<string, string> = { ...options.headers };
    if (parent) {
      headers[CallHeader.correlationId] = parent.correlationId;
      headers[CallHeader.causationId] = parent.messageId;
    }
    return clients.call(contract, input, {
      headers,
      ...(deadline !== undefined ? { deadline } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
      ...(trace ? { trace } : {}),
    });
  }
}
