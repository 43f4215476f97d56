import { context, type Context } from '@opentelemetry/api';
import { activeTracer } from '../tracing/tracer.js';
import type { SyncContract } from '../contracts/contracts.js';
import { ConfigError, ShuttingDownError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { uuidv7 } from '../messages/uuid.js';
import { compose, type Middleware } from '../middleware/compose.js';
import type { Step } from '../middleware/stage.js';
import { withDeadline } from '../middleware/timeout.js';
import { validated } from '../middleware/validation.js';
import { measured } from '../metrics/handler-metrics.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport, IncomingMessage } from '../transport/broker.js';
import { CallHeader, type CallTransport } from './call-transport.js';
import { RunContext, type ContextDeps } from './context-factory.js';
import type { CallOptions, HandlerMeta } from './handler-context.js';
import { InFlight } from './in-flight.js';
import { RunAbort, type CancelSource } from './run-abort.js';
import type { Invocation } from './invocation.js';
import type { Registry } from './registry.js';
import type { HandlerRegistration } from './service.js';
import type { InvokeRequest } from './sync-host.js';
import { runUnitOfWork } from './unit-of-work.js';

export interface RuntimeDeps {
  registry: Registry;
  broker: BrokerTransport;
  store: Store | undefined;
  clients: CallTransport | undefined;
  middleware: ReadonlyArray<Middleware<Invocation>>;
  log: Logger;
  checkOutput: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Runs handlers. Each handler's pipeline is built once at start, outermost first: handler
 * metrics, app middleware, the handler's own, validation, deadline, then the unit of work.
 */
export class Runtime {
  readonly inFlight = new InFlight();
  accepting = false;
  private readonly pipelines = new Map<HandlerRegistration, Step>();
  private readonly contextDeps: ContextDeps;

  constructor(readonly deps: RuntimeDeps) {
    this.contextDeps = {
      log: deps.log,
      call: (c, i, o, parent, trace, caller) => this.call(c, i, o, parent, trace, caller),
      system: deps.broker.name,
    };
    const groupOf = new Map<HandlerRegistration, string>();
    for (const group of deps.registry.groups.values())
      for (const h of group.handlers.values()) groupOf.set(h, group.name);
    for (const svc of deps.registry.services) {
      for (const reg of svc.handlers) {
        const group = groupOf.get(reg);
        const unit = { store: deps.store, broker: deps.broker, ...(group !== undefined ? { group } : {}) };
        const inner = validated(
          withDeadline((inv) => runUnitOfWork(inv, unit)),
          { checkOutput: deps.checkOutput },
        );
        const user = [...deps.middleware, ...(reg.options.middleware ?? [])];
        this.pipelines.set(reg, measured(user.length > 0 ? compose(user, inner) : inner));
      }
    }
  }

  /** One run of a handler with a fresh context; `meta` says what started it. */
  run(
    reg: HandlerRegistration,
    input: unknown,
    meta: HandlerMeta,
    options: {
      signal?: AbortSignal;
      onCancel?: InvokeRequest['onCancel'];
      message?: IncomingMessage;
      trace?: Context;
      joined?: RunContext;
    } = {},
  ): Promise<unknown> {
    const controller = new RunAbort();
    if (options.signal) controller.follow(options.signal);
    const pending: Invocation['pending'] = [];
    const ctx = new RunContext(this.contextDeps, reg, meta, controller, pending, options.trace);
    // Every field set, even when undefined, so all invocations share one shape.
    const inv: Invocation = {
      registration: reg,
      contract: reg.contract,
      input,
      ctx,
      controller,
      pending,
      message: options.message,
      joined: options.joined,
    };
    // The request itself is the source: called as its method, so a server's class keeps `this`.
    if (options.onCancel) controller.cancelledBy(options as CancelSource);
    const pipeline = this.pipelines.get(reg)!;
    // With a tracing SDK, the handler runs with its server or consumer span active, so
    // spans the user's own instrumentation makes inside it (a database call) nest there.
    if (options.trace && activeTracer())
      return this.inFlight.track(controller, (i) => context.with(options.trace!, pipeline, undefined, i), inv);
    return this.inFlight.track(controller, pipeline, inv);
  }

  /** A sync request from a server adapter (or an in-process call). */
  invoke(reg: HandlerRegistration, input: unknown, request: InvokeRequest, joined?: RunContext): Promise<unknown> {
    if (!this.accepting)
      return Promise.reject(
        new ShuttingDownError(`service '${reg.service}' is shutting down and takes no new requests`),
      );
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
    return this.run(reg, input, meta, joined ? { ...request, joined } : request);
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
      return this.invoke(
        local,
        input,
        {
          headers: options.headers ?? {},
          ...(options.signal ? { signal: options.signal } : {}),
          ...(deadline !== undefined ? { timeoutMs: deadline - Date.now() } : {}),
          ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
          ...(parent ? { correlationId: parent.correlationId, causationId: parent.messageId } : {}),
          ...(trace ? { trace } : {}),
        },
        caller,
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
      ...(options.signal ? { signal: options.signal } : parent ? {} : {}),
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
      ...(trace ? { trace } : {}),
    });
  }
}
