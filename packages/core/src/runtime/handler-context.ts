import type { DataOf, EventContract, InputOf, OutputOf, SyncContract } from '../contracts/contracts.js';
import type { Logger } from '../log/logger.js';
import type { HandlerKind } from './service.js';

/** Options of ctx.publish(): key, headers. */
export interface PublishOptions {
  /** Partition key: events with one key are handled in order by every consumer group. */
  key?: string;
  /** Extra headers carried with the event. */
  headers?: Record<string, string>;
}

/** Options of a typed call: its deadline. */
export interface CallOptions {
  /** Milliseconds the callee may take; the smaller of this and the caller's own deadline applies. */
  timeoutMs?: number;
  /** For commands: replays the stored response if this key was already used (see docs/reliability.md). */
  idempotencyKey?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** What the handler knows about the request or message that started it. Read-only. */
export interface HandlerMeta {
  readonly kind: HandlerKind;
  /** The contract name ('orders.place'). */
  readonly name: string;
  readonly service: string;
  /** The event id for event handlers; a generated request id for sync handlers. */
  readonly messageId: string;
  /** 1 on the first run; counts immediate and delayed retries of an event. */
  readonly attempt: number;
  /** Ties together every call and event caused by one external request. */
  readonly correlationId: string;
  /** The id of the message or request that caused this one, if any. */
  readonly causationId?: string;
  readonly idempotencyKey?: string;
  /** Absolute deadline (epoch ms) for this run, if one applies. */
  readonly deadline?: number;
  /** The authenticated caller, as the HTTP auth hook named it. */
  readonly principal?: string;
  /** For events: CloudEvents source, time and subject. */
  readonly event?: { readonly source: string; readonly time?: string; readonly subject?: string };
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The handler's one door to the outside. `publish` records an event that is sent only if
 * the handler succeeds (through the outbox in the same transaction when a store is set);
 * `call` makes a typed sync call that carries the deadline and correlation along.
 */
export interface HandlerContext<Tx = unknown> {
  publish<E extends EventContract>(event: E, data: DataOf<E>, options?: PublishOptions): Promise<void>;
  call<C extends SyncContract>(contract: C, input: InputOf<C>, options?: CallOptions): Promise<OutputOf<C>>;
  /** Aborts on the deadline, on the caller going away, and on a forced shutdown. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The store's transaction for this run (a pg client with store-postgres); undefined without a store. */
  readonly tx: Tx;
  /**
   * The store's transaction for this run, opened now if the handler was registered with
   * `transaction: 'deferred'` and has not opened it yet (`ctx.tx` is undefined until then);
   * otherwise `ctx.tx` at once. Its writes commit with the run's events, as `ctx.tx`'s do.
   */
  transaction(): Promise<Tx>;
  readonly meta: HandlerMeta;
}
