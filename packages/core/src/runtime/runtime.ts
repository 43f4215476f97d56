import type { SyncContract } from '../contracts/contracts.js';
import { ConfigError, ShuttingDownError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { uuidv7 } from '../messages/uuid.js';
import { compose, type Middleware } from '../middleware/compose.js';
import { timeout } from '../middleware/timeout.js';
import { validation } from '../middleware/validation.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport, IncomingMessage } from '../transport/broker.js';
import { CallHeader, type CallTransport } from './call-transport.js';
import { RunContext } from './context-factory.js';
import type { CallOptions, HandlerMeta } from './handler-context.js';
import { InFlight } from './in-flight.js';
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

type Pipeline = (inv: Invocation) => Promise<unknown>;

/**
 * Runs handlers. Each handler's middleware chain is composed once at start:
 * app middleware, the handler's own, validation, timeout, then the unit of work.
 */
export class Runtime {
  readonly inFlight = new InFlight();
  accepting = false;
  private readonly pipelines = new Map<HandlerRegistration, Pipeline>();

  constructor(readonly deps: RuntimeDeps) {
    const groupOf = new Map<HandlerRegistration, string>();
    for (const group of deps.registry.groups.values())
      for (const h of group.handlers.values()) groupOf.set(h, group.name);
    for (const svc of deps.registry.services) {
      for (const reg of svc.handlers) {
        const group = groupOf.get(reg);
        const chain = [
          ...deps.middleware,
          ...(reg.options.middleware ?? []),
          validation({ checkOutput: deps.checkOutput }),
          timeout(),
        ];
        const unit = { store: deps.store, broker: deps.broker, ...(group !== undefined ? { group } : {}) };
        this.pipelines.set(
          reg,
          compose(chain, (inv) => runUnitOfWork(inv, unit)),
        );
      }
    }
  }

  /** One run of a handler with a fresh context; `meta` says what started it. */
  run(
    reg: HandlerRegistration,
    input: unknown,
    meta: HandlerMeta,
    options: { signal?: AbortSignal; message?: IncomingMessage } = {},
  ): Promise<unknown> {
    const controller = new AbortController();
    if (options.signal) {
      if (options.signal.aborted) controller.abort(options.signal.reason);
      else options.signal.addEventListener('abort', () => controller.abort(options.signal!.reason), { once: true });
    }
    const pending: Invocation['pending'] = [];
    const log = this.deps.log.child({
      service: reg.service,
      handler: reg.handlerName,
      messageId: meta.messageId,
      correlationId: meta.correlationId,
    });
    const ctx = new RunContext(
      { log, call: (c, i, o, parent) => this.call(c, i, o, parent) },
      meta,
      controller.signal,
      pending,
    );
    const inv: Invocation = {
      registration: reg,
      contract: reg.contract,
      input,
      ctx,
      controller,
      pending,
      ...(options.message ? { message: options.message } : {}),
    };
    return this.inFlight.track(controller, () => this.pipelines.get(reg)!(inv));
  }

  /** A sync request from a server adapter (or an in-process call). */
  invoke(reg: HandlerRegistration, input: unknown, request: InvokeRequest): Promise<unknown> {
    if (!this.accepting)
      return Promise.reject(
        new ShuttingDownError(`service '${reg.service}' is shutting down and takes no new requests`),
      );
    const messageId = uuidv7();
    const meta: HandlerMeta = {
      kind: reg.kind,
      name: reg.contract.name,
      service: reg.service,
      messageId,
      attempt: 1,
      correlationId: request.correlationId ?? messageId,
      ...(request.causationId !== undefined ? { causationId: request.causationId } : {}),
      ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
      ...(request.timeoutMs !== undefined ? { deadline: Date.now() + request.timeoutMs } : {}),
      ...(request.principal !== undefined ? { principal: request.principal } : {}),
      headers: request.headers ?? {},
    };
    return this.run(reg, input, meta, request.signal ? { signal: request.signal } : {});
  }

  /** `ctx.call` and `app.call`: in process when this app serves the contract, else through the call transport. */
  call(contract: SyncContract, input: unknown, options: CallOptions, parent?: HandlerMeta): Promise<unknown> {
    const deadlines = [
      parent?.deadline,
      options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined,
    ].filter((d): d is number => d !== undefined);
    const deadline = deadlines.length > 0 ? Math.min(...deadlines) : undefined;
    const local = this.deps.registry.sync.get(contract.name);
    if (local) {
      return this.invoke(local, input, {
        headers: options.headers ?? {},
        ...(options.signal ? { signal: options.signal } : {}),
        ...(deadline !== undefined ? { timeoutMs: deadline - Date.now() } : {}),
        ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
        ...(parent ? { correlationId: parent.correlationId, causationId: parent.messageId } : {}),
      });
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
    });
  }
}
