/**
 * A service is a name and its handlers. Decorated classes and the `service()` builder both
 * produce this one shape, so the runtime has a single registration path.
 */
import type {
  AnyContract,
  CommandContract,
  EventContract,
  ParsedDataOf,
  ParsedInputOf,
  QueryContract,
  ReturnOf,
} from '../contracts/contracts.js';
import type { Middleware } from '../middleware/compose.js';
import type { RetryPolicy } from '../retry/retry-policy.js';
import type { HandlerContext } from './handler-context.js';
import type { Invocation } from './invocation.js';

/** Which kind of contract a handler serves. */
export type HandlerKind = 'command' | 'query' | 'event';

/** Options of a command or query handler. */
export interface HandlerOptions {
  /** Deadline for one run; the handler's `ctx.signal` aborts when it passes. */
  timeoutMs?: number;
  /** Middleware for this handler only, inside the app-wide middleware. */
  middleware?: Middleware<Invocation>[];
  /**
   * Events this handler may publish. Only documentation reads it (the AsyncAPI document and
   * the event-flow graph); an event with no declared publisher is attributed to the service
   * its name starts with.
   */
  publishes?: readonly EventContract[];
  /**
   * When a command's or query's store transaction opens. `'immediate'` (the default): before
   * the handler runs. `'deferred'`: when the handler first awaits `ctx.transaction()`, or
   * after it returns if it published events or has an idempotency key to record; until then
   * it holds no connection, and its in-process calls run in transactions of their own. For
   * handlers that call other services before they write (see docs/reliability.md). Not for
   * event handlers, whose inbox record is written before they run.
   */
  transaction?: 'immediate' | 'deferred';
}

/** Options of an event handler: consumer group, retry policy, concurrency. */
export interface EventHandlerOptions extends HandlerOptions {
  /** Consumer group; the service name by default. One handler per event type per group. */
  group?: string;
  retry?: Partial<RetryPolicy>;
  /** Most messages of this group handled at once (per key, order is kept). */
  concurrency?: number;
}

/** A command handler: parsed input and the context in, the output out. */
export type CommandHandler<C extends CommandContract> = (
  input: ParsedInputOf<C>,
  ctx: HandlerContext,
) => Promise<ReturnOf<C>> | ReturnOf<C>;
/** A query handler: parsed input and the context in, the output out. */
export type QueryHandler<C extends QueryContract> = (
  input: ParsedInputOf<C>,
  ctx: HandlerContext,
) => Promise<ReturnOf<C>> | ReturnOf<C>;
/** An event handler: parsed event data and the context in; throwing asks for a retry. */
export type EventHandler<E extends EventContract> = (
  data: ParsedDataOf<E>,
  ctx: HandlerContext,
) => Promise<void> | void;

/** One handler as the runtime registers it. */
export interface HandlerRegistration {
  readonly kind: HandlerKind;
  readonly contract: AnyContract;
  readonly service: string;
  /** Method or function name, for errors and logs. */
  readonly handlerName: string;
  readonly fn: (input: unknown, ctx: HandlerContext) => unknown;
  readonly options: EventHandlerOptions;
}

/** A service: a name and its handlers, whether from decorators or `service()`. */
export interface ServiceDefinition {
  readonly name: string;
  readonly handlers: readonly HandlerRegistration[];
}

/** Builds a service without classes: `service('orders').command(PlaceOrder, fn).onEvent(...)`. */
export class ServiceBuilder implements ServiceDefinition {
  readonly handlers: HandlerRegistration[] = [];

  constructor(readonly name: string) {}

  command<C extends CommandContract>(contract: C, fn: CommandHandler<C>, options: HandlerOptions = {}): this {
    return this.add('command', contract, fn as HandlerRegistration['fn'], options);
  }

  query<C extends QueryContract>(contract: C, fn: QueryHandler<C>, options: HandlerOptions = {}): this {
    return this.add('query', contract, fn as HandlerRegistration['fn'], options);
  }

  onEvent<E extends EventContract>(contract: E, fn: EventHandler<E>, options: EventHandlerOptions = {}): this {
    return this.add('event', contract, fn as HandlerRegistration['fn'], options);
  }

  private add(
    kind: HandlerKind,
    contract: AnyContract,
    fn: HandlerRegistration['fn'],
    options: EventHandlerOptions,
  ): this {
    this.handlers.push({
      kind,
      contract,
      service: this.name,
      handlerName: fn.name || `${kind}#${this.handlers.length}`,
      fn,
      options,
    });
    return this;
  }
}

/** Defines a service without decorators: `service('orders').command(PlaceOrder, handler).onEvent(...)`; pass it to createApp({ services }). */
export function service(name: string): ServiceBuilder {
  return new ServiceBuilder(name);
}
