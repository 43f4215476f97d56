import { context, type Context } from '@opentelemetry/api';
import type { EventContract, SyncContract } from '../contracts/contracts.js';
import { ValidationError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { encodeEvent } from '../messages/envelope.js';
import { safeParse, type ParseResult } from '../middleware/validation.js';
import { boundedDetails, defaultValidationLimits, summarise } from '../middleware/validation-limits.js';
import { logTraceFields } from '../tracing/log-fields.js';
import { traceSend } from '../tracing/messaging-spans.js';
import type { OutgoingMessage } from '../transport/broker.js';
import type { CallOptions, HandlerContext, HandlerMeta, PublishOptions } from './handler-context.js';
import type { RunAbort } from './run-abort.js';
import type { HandlerRegistration } from './service.js';
import type { TxSection } from './tx-scope.js';
import { reportPublished, type ActivitySink } from '../activity/activity.js';

export interface ContextDeps {
  log: Logger;
  /** Routes `ctx.call` (in process or through the call transport). */
  call(
    contract: SyncContract,
    input: unknown,
    options: CallOptions,
    parent: HandlerMeta,
    trace: Context,
    caller: RunContext,
  ): Promise<unknown>;
  /** `messaging.system` of the broker, for producer spans. */
  system: string;
  /** Where published events are reported while someone watches. */
  activity?: ActivitySink;
}

const RECORDED: Promise<void> = Promise.resolve();

/** The concrete context; `section` is set by the unit of work once its transaction is open. */
export class RunContext implements HandlerContext {
  /** The run's part of its store transaction; `tx` is its view. */
  section: TxSection<object> | undefined = undefined;
  /** Opens the run's transaction, for a handler registered with `transaction: 'deferred'` (see deferred-unit.ts). */
  opener: (() => Promise<unknown>) | undefined = undefined;
  private childLog: Logger | undefined;

  constructor(
    private readonly deps: ContextDeps,
    private readonly registration: HandlerRegistration,
    readonly meta: HandlerMeta,
    readonly controller: RunAbort,
    private readonly pending: OutgoingMessage[],
    /**
     * The trace context of the run's server or consumer span, when it has one: events and
     * calls continue it. Without one, the context active when they are made.
     */
    private readonly trace: Context | undefined,
  ) {}

  private get otel(): Context {
    return this.trace ?? context.active();
  }

  /** Made on first use: most runs log nothing, and a child logger per run is not free. */
  get log(): Logger {
    if (this.childLog) return this.childLog;
    const bindings = {
      service: this.registration.service,
      handler: this.registration.handlerName,
      messageId: this.meta.messageId,
      correlationId: this.meta.correlationId,
    };
    return (this.childLog = this.deps.log.child({ ...bindings, ...logTraceFields(this.otel) }));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A view of the store's transaction that stops working when this run's unit of work ends. */
  get tx(): unknown {
    return this.section?.view;
  }

  transaction(): Promise<unknown> {
    if (this.section === undefined && this.opener !== undefined) return this.opener();
    return Promise.resolve(this.section?.view);
  }

  /**
   * Whether an in-process call from this run joins its transaction: not while a deferred
   * one is still unopened (the call then runs in a transaction of its own).
   */
  get joinsCalls(): boolean {
    return this.section !== undefined || this.opener === undefined;
  }

  /**
   * Not async, and answered with one shared settled promise: publishing only records the
   * event, and a promise per call costs again in apps whose tracing keeps context with
   * async hooks.
   */
  publish<E extends EventContract>(event: E, data: unknown, options: PublishOptions = {}): Promise<void> {
    try {
      const parsed = safeParse(event.data, data);
      if (parsed instanceof Promise) return parsed.then((p) => this.record(event, p, options));
      this.record(event, parsed, options);
      return RECORDED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private record(event: EventContract, parsed: ParseResult, options: PublishOptions): void {
    if (!parsed.success) {
      const details = boundedDetails(parsed.error, defaultValidationLimits, false);
      throw new ValidationError(
        `ctx.publish(${event.name}): data does not match the contract: ${summarise(details.issues)}`,
        { details },
      );
    }
    const message = encodeEvent(event, parsed.data, {
      source: this.meta.service,
      ...(options.key !== undefined ? { key: options.key } : {}),
      correlationId: this.meta.correlationId,
      causationId: this.meta.messageId,
      ...(options.headers ? { headers: options.headers } : {}),
    });
    traceSend(message, this.deps.system, this.otel);
    if (this.deps.activity?.listening) reportPublished(this.deps.activity, message, this.meta.service, this.otel);
    this.pending.push(message);
  }

  call<C extends SyncContract>(contract: C, input: unknown, options: CallOptions = {}): Promise<never> {
    return this.deps.call(contract, input, options, this.meta, this.otel, this) as Promise<never>;
  }

  /** Takes the events of an in-process callee that joined this run's unit of work. */
  adopt(messages: OutgoingMessage[]): void {
    this.pending.push(...messages);
  }
}
