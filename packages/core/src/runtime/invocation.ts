import type { AnyContract } from '../contracts/contracts.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import type { HandlerContext } from './handler-context.js';
import type { RunContext } from './context-factory.js';
import type { IdempotentClaim, JoinedClaim } from './idempotency.js';
import type { RunAbort } from './run-abort.js';
import type { HandlerRegistration } from './service.js';

/**
 * What middleware sees: one run of one handler, sync or async. Middleware may replace
 * `input` (validation does, with the parsed value) and read everything else.
 */
export interface Invocation {
  readonly registration: HandlerRegistration;
  readonly contract: AnyContract;
  input: unknown;
  readonly ctx: HandlerContext;
  /** Aborting it aborts `ctx.signal`; the timeout middleware and shutdown use it. */
  readonly controller: RunAbort;
  /**
   * The caller's context when this run is an in-process `ctx.call`: the run joins the
   * caller's unit of work (see unit-of-work.ts).
   */
  readonly joined?: RunContext;
  /** Events: the consumed message. */
  readonly message?: IncomingMessage;
  /** Events the handler published; sent (or written to the outbox) only if it succeeds. */
  readonly pending: OutgoingMessage[];
  /**
   * Set by the unit of work: settles when the unit has (committed or rolled back), which can
   * be after the run was answered (an abort answers at once).
   */
  settlement: Promise<void> | undefined;
  /** Set by the unit of work once the run passed its commit point: an abort no longer cuts it short. */
  committing: boolean;
  /** The run's claim on its idempotency key, when it has one (see idempotency.ts). */
  idempotency: IdempotentClaim | undefined;
  /** A joined call's key, claimed by the unit of work inside the call's savepoint (see idempotency.ts). */
  joinedClaim: JoinedClaim | undefined;
  /** The answer is the stored outcome of an earlier run with the same idempotency key. */
  replayed: boolean;
}
